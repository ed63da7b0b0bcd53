import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Clock, createLocalEvents, type LoginThrottle } from '@agent-otp/core';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createMemoryRequestLimiter, type RequestLimiter } from '../http/rate-limit.ts';
import type { Metrics } from '../metrics.ts';
import { type ClusterView, createClusterPresence } from './cluster-presence.ts';
import { createPgEvents } from './pg-events.ts';
import { createRedisClients } from './redis-client.ts';
import { createRedisEvents } from './redis-events.ts';
import { createRedisLoginThrottle } from './redis-login-throttle.ts';
import { createRedisRequestLimiter } from './redis-rate-limit.ts';
import type { ClusterEvents, EventsHealth } from './relayed-events.ts';

export interface ClusterHealth {
  ready: boolean;
  /** Why not ready, in a sentence. */
  reason?: string;
  redis: 'ok' | 'unreachable' | 'not configured';
  events: EventsHealth;
  cluster: Omit<ClusterView, 'instances'> & { instances: number };
}

/**
 * What several instances share, picked from the config: with REDIS_URL, events, request limits,
 * login throttles and policy versions go through Redis; else with a PostgreSQL DATABASE_URL,
 * events go over LISTEN/NOTIFY and the rest stays per instance; else all is in this process.
 */
export function createCluster(
  config: Config,
  deps: {
    logger: Logger;
    clock: Clock;
    metrics: Metrics;
    policyVersion: () => string;
    /** Announce this process as an instance (servers); admin commands only read and publish. */
    announce?: boolean;
  },
) {
  const { logger, clock, metrics } = deps;
  const instanceId =
    config.instanceId ?? `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const redis = config.redisUrl ? createRedisClients(config.redisUrl, logger) : null;
  const recheck = { instanceId, recheckMs: config.eventsRecheckMs, logger };

  let events: ClusterEvents;
  if (redis) {
    events = createRedisEvents({ redis, channel: `${config.redisPrefix}events`, ...recheck });
  } else if (config.postgresEventsUrl) {
    events = createPgEvents({ url: config.postgresEventsUrl, channel: config.pgChannel, ...recheck });
  } else {
    events = {
      ...createLocalEvents(),
      health: () => ({ backend: 'local', status: 'ok' }),
      close: async () => {},
    };
  }

  const requestLimiter: RequestLimiter = redis
    ? createRedisRequestLimiter({
        client: redis.client,
        prefix: config.redisPrefix,
        perMinute: config.rateLimitPerMinute,
      })
    : createMemoryRequestLimiter(config.rateLimitPerMinute, clock);
  const loginThrottle: LoginThrottle | undefined = redis
    ? createRedisLoginThrottle({
        client: redis.client,
        prefix: config.redisPrefix,
        now: () => clock.now(),
        logger,
      })
    : undefined;

  const presence = createClusterPresence({
    client: deps.announce === false ? null : (redis?.client ?? null),
    prefix: config.redisPrefix,
    instanceId,
    policyVersion: deps.policyVersion,
    heartbeatMs: config.clusterHeartbeatMs,
    now: () => Date.now(),
    logger,
    onView(view) {
      metrics.policyVersionInfo.reset();
      metrics.policyVersionInfo.set({ version: view.policyVersion }, 1);
      metrics.clusterPolicyVersions.set(view.policyVersions.length);
      metrics.clusterInstances.set(view.instances.length);
    },
  });

  async function health(): Promise<ClusterHealth> {
    const problem = redis ? await redis.check() : null;
    const eventsHealth = events.health();
    const { instances, ...view } = presence.view();
    const reason = problem ?? (eventsHealth.status === 'down' ? eventsHealth.reason : undefined);
    return {
      ready: reason === undefined,
      ...(reason ? { reason } : {}),
      redis: redis ? (problem ? 'unreachable' : 'ok') : 'not configured',
      events: eventsHealth,
      cluster: { ...view, instances: instances.length },
    };
  }

  return {
    instanceId,
    events,
    requestLimiter,
    loginThrottle,
    presence,
    health,
    async close() {
      await presence.close();
      await events.close();
      await redis?.close();
    },
  };
}

export type Cluster = ReturnType<typeof createCluster>;
