import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { LeaseConfig } from './lease-config.ts';

/**
 * A lease: the right, held by one instance at a time, to run one named piece of work. The
 * backend keeps the bookkeeping; the leader (leader.ts) decides when to acquire, renew, stop.
 */
export interface LeaseBackend {
  readonly kind: LeaseConfig['backend'];
  /** Who this instance is in the backend (host, pid, random): shown to operators and tests. */
  readonly holder: string;
  /** Takes the lease if nobody holds it; true when this instance now holds it for `ttlMs`. */
  acquire(name: string, ttlMs: number): Promise<boolean>;
  /** Extends a lease this instance holds; false when it is no longer ours (expired, taken). */
  renew(name: string, ttlMs: number): Promise<boolean>;
  /** Gives a lease up if this instance still holds it, so another can take it at once. */
  release(name: string): Promise<void>;
  close(): Promise<void>;
}

export function newHolderId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(6).toString('hex')}`;
}

/** One process, no cluster: it is always the leader. */
export function createLocalLease(): LeaseBackend {
  return {
    kind: 'local',
    holder: newHolderId(),
    acquire: async () => true,
    renew: async () => true,
    release: async () => undefined,
    close: async () => undefined,
  };
}

/**
 * The backend the configuration names. The Redis and PostgreSQL clients load and connect only
 * when a lease is first asked for, so admin commands that build a runtime never open them.
 */
export async function createLeaseBackend(config: LeaseConfig, logger: Logger): Promise<LeaseBackend> {
  if (config.backend === 'redis') {
    const { createRedisLease } = await import('./lease-redis.ts');
    return createRedisLease({ url: config.url, keyPrefix: config.keyPrefix, logger });
  }
  if (config.backend === 'postgres') {
    const { createPostgresLease } = await import('./lease-postgres.ts');
    return createPostgresLease({ url: config.url, idleTimeoutMs: config.ttlMs, logger });
  }
  return createLocalLease();
}
