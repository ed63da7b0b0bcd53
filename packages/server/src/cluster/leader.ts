import type { Logger } from 'pino';
import type { LeaseBackend } from './lease.ts';

/** Work that must run on exactly one instance at a time (a sweeper, a poller, a deliverer). */
export interface SingletonWork {
  /** Called when this instance takes the lease. */
  start(): void | Promise<void>;
  /**
   * Called when the work must end. `lost`: the lease is gone (or cannot be confirmed) and
   * another instance may already run the work, so stop at once and cause no outside effects.
   * `shutdown`: the lease is still held; finish cleanly (it is released right after).
   */
  stop(reason: 'lost' | 'shutdown'): void | Promise<void>;
}

export interface SingletonHandle {
  /** Whether this instance runs the work right now. */
  leading(): boolean;
  /** Stops the work if it runs here (`shutdown`), gives up the lease, and stops competing. */
  stop(): Promise<void>;
}

export interface Leader {
  /** Competes for the lease `name` and runs `work` while this instance holds it. */
  run(name: string, work: SingletonWork): SingletonHandle;
  /** Which singletons this instance leads, by name (for readiness and metrics). */
  status(): Record<string, boolean>;
  /** Stops every singleton (shutdown), releases their leases and closes the lease store. */
  close(): Promise<void>;
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from the lease store in ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });

/**
 * Runs singleton work under leases. A follower tries to take a free lease every quarter TTL, so
 * a dead leader's work moves within about one TTL. A leader renews every third of the TTL; a
 * renewal that fails, or that is not confirmed before the lease would end (less a safety
 * margin), stops the work before another instance can take it over.
 */
export function createLeader(options: {
  backend: () => Promise<LeaseBackend>;
  ttlMs: number;
  logger: Logger;
  now?: () => number;
}): Leader {
  const { ttlMs, logger } = options;
  const now = options.now ?? Date.now;
  const margin = Math.min(Math.floor(ttlMs / 10), 1000);
  let backend: Promise<LeaseBackend> | null = null;
  const lease = () => {
    backend ??= options.backend();
    return backend;
  };
  const jobs = new Map<string, SingletonHandle>();

  function run(name: string, work: SingletonWork): SingletonHandle {
    if (jobs.has(name)) throw new Error(`singleton ${name} is already running`);
    let leading = false;
    let stopped = false;
    /** When the lease ends at the latest, measured from before the call that took or renewed it. */
    let expiresAt = 0;
    let timer: NodeJS.Timeout | null = null;
    let current: Promise<void> = Promise.resolve();
    let complained = false;

    const schedule = (ms: number) => {
      if (stopped) return;
      timer = setTimeout(() => {
        current = tick();
      }, ms);
      timer.unref();
    };

    async function lose(why: string, error?: unknown): Promise<void> {
      leading = false;
      logger.warn({ singleton: name, reason: why, err: error }, 'lost the lease: stopped the work here');
      try {
        await work.stop('lost');
      } catch (stopError) {
        logger.error({ singleton: name, err: stopError }, 'stopping singleton work failed');
      }
      // Best effort: if the lease is somehow still ours, free it for the next leader now.
      const backendNow = await lease().catch(() => null);
      await withTimeout(backendNow?.release(name) ?? Promise.resolve(), margin + 100).catch(() => undefined);
    }

    async function step(): Promise<void> {
      const b = await lease().catch((error) => {
        backend = null;
        throw error;
      });
      const sentAt = now();
      if (leading) {
        let renewed = false;
        let failure: unknown;
        try {
          renewed = await withTimeout(b.renew(name, ttlMs), Math.max(1, expiresAt - margin - now()));
        } catch (error) {
          failure = error;
        }
        if (stopped) return;
        if (!renewed) {
          await lose(failure ? 'renewal failed' : 'the lease was no longer ours', failure);
          schedule(Math.floor(ttlMs / 4));
          return;
        }
        expiresAt = sentAt + ttlMs;
        schedule(Math.floor(ttlMs / 3));
        return;
      }
      try {
        const taken = await withTimeout(b.acquire(name, ttlMs), Math.floor(ttlMs / 3));
        complained = false;
        if (taken && !stopped) {
          expiresAt = sentAt + ttlMs;
          leading = true;
          logger.info(
            { singleton: name, holder: b.holder, lease: b.kind },
            'took the lease: running the work here',
          );
          await work.start();
          // One process without a cluster keeps its lease for good: nothing to renew.
          if (b.kind === 'local') return;
          schedule(Math.max(1, Math.floor(ttlMs / 3) - (now() - sentAt)));
          return;
        }
        // Released between the attempt and a concurrent stop(): give it back.
        if (taken) await b.release(name).catch(() => undefined);
      } catch (error) {
        if (!complained)
          logger.warn({ singleton: name, err: error }, 'cannot reach the lease store; retrying');
        complained = true;
      }
      schedule(Math.floor(ttlMs / 4));
    }

    /** One step; whatever it throws (the lease store cannot be created, start() failed) is retried. */
    const tick = () =>
      step().catch(async (error) => {
        logger.error({ singleton: name, err: error }, 'singleton work failed; retrying');
        if (leading) await lose('the work failed to start', error);
        schedule(Math.floor(ttlMs / 4));
      });
    current = tick();

    const handle: SingletonHandle = {
      leading: () => leading,
      async stop() {
        if (stopped) return;
        stopped = true;
        if (timer) clearTimeout(timer);
        await current.catch(() => undefined);
        jobs.delete(name);
        if (!leading) return;
        leading = false;
        try {
          await work.stop('shutdown');
        } catch (error) {
          logger.error({ singleton: name, err: error }, 'stopping singleton work failed');
        }
        const b = await lease();
        await withTimeout(b.release(name), ttlMs).catch((error) =>
          logger.warn({ singleton: name, err: error }, 'could not release the lease; it expires by itself'),
        );
      },
    };
    jobs.set(name, handle);
    return handle;
  }

  return {
    run,
    status: () => Object.fromEntries([...jobs].map(([name, handle]) => [name, handle.leading()])),
    async close() {
      await Promise.all([...jobs.values()].map((handle) => handle.stop()));
      if (backend) await (await backend.catch(() => null))?.close();
      backend = null;
    },
  };
}
