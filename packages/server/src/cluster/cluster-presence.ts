import type { Logger } from 'pino';
import type { RedisClient } from './redis-client.ts';

/** One instance as the others see it. */
export interface InstanceSeen {
  instanceId: string;
  policyVersion: string;
  /** Epoch ms of its last announcement. */
  seenAt: number;
}

export interface ClusterView {
  instanceId: string;
  policyVersion: string;
  /** Every instance seen lately (this one included); just this one without Redis. */
  instances: InstanceSeen[];
  /** The distinct policy versions among them. */
  policyVersions: string[];
  /** More than one policy version is live: instances decide by different rules. */
  policyMismatch: boolean;
}

/**
 * Each instance announces its id and policy version under a key that expires after three
 * heartbeats, and reads the others', so /readyz and the metrics show whether the cluster runs
 * one policy. A mismatch is logged as a warning once per change of the set of versions.
 */
export function createClusterPresence(options: {
  client: RedisClient | null;
  prefix: string;
  instanceId: string;
  policyVersion: () => string;
  heartbeatMs: number;
  now: () => number;
  logger: Logger;
  /** Called after each refresh (metrics). */
  onView?: (view: ClusterView) => void;
}) {
  const { client, logger } = options;
  const keyPrefix = `${options.prefix}instance:`;
  let seen: InstanceSeen[] = [];
  let reported = '';

  function view(): ClusterView {
    const self: InstanceSeen = {
      instanceId: options.instanceId,
      policyVersion: options.policyVersion(),
      seenAt: options.now(),
    };
    const instances = [self, ...seen.filter((i) => i.instanceId !== self.instanceId)];
    const policyVersions = [...new Set(instances.map((i) => i.policyVersion))].sort();
    return {
      instanceId: self.instanceId,
      policyVersion: self.policyVersion,
      instances,
      policyVersions,
      policyMismatch: policyVersions.length > 1,
    };
  }

  /** Announces this instance and reads the others; keeps the last view when Redis is away. */
  async function refresh(): Promise<ClusterView> {
    if (client?.isReady) {
      try {
        const self: InstanceSeen = {
          instanceId: options.instanceId,
          policyVersion: options.policyVersion(),
          seenAt: options.now(),
        };
        await client.set(`${keyPrefix}${self.instanceId}`, JSON.stringify(self), {
          expiration: { type: 'PX', value: options.heartbeatMs * 3 },
        });
        const keys: string[] = [];
        for await (const batch of client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 100 }))
          keys.push(...batch);
        const values = keys.length > 0 ? await client.mGet(keys) : [];
        seen = values.flatMap((raw) => {
          try {
            const parsed = JSON.parse(raw ?? '') as InstanceSeen;
            return typeof parsed.instanceId === 'string' && typeof parsed.policyVersion === 'string'
              ? [parsed]
              : [];
          } catch {
            return [];
          }
        });
      } catch (error) {
        logger.debug({ err: (error as Error).message }, 'cluster presence not refreshed');
      }
    }
    const current = view();
    const signature = current.policyVersions.join(',');
    if (signature !== reported) {
      if (current.policyMismatch) {
        logger.warn(
          {
            policyVersion: current.policyVersion,
            policyVersions: current.policyVersions,
            instances: current.instances.map((i) => ({
              instanceId: i.instanceId,
              policyVersion: i.policyVersion,
            })),
          },
          'POLICY MISMATCH: instances of this cluster run different policy versions and may decide the same request differently',
        );
      } else if (reported.includes(',')) {
        logger.info(
          { policyVersion: current.policyVersion },
          'policy versions agree across the cluster again',
        );
      }
      reported = signature;
    }
    options.onView?.(current);
    return current;
  }

  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = refresh();
  }, options.heartbeatMs);
  timer.unref();
  running = refresh();
  // Announced as soon as Redis is (back) up, not only at the next heartbeat.
  const onReady = () => {
    running = refresh();
  };
  client?.on('ready', onReady);

  return {
    view,
    refresh,
    async close() {
      clearInterval(timer);
      client?.off('ready', onReady);
      await running.catch(() => undefined);
      if (client?.isReady) await client.del(`${keyPrefix}${options.instanceId}`).catch(() => undefined);
    },
  };
}

export type ClusterPresence = ReturnType<typeof createClusterPresence>;
