import { ConfigError } from '../config.ts';

/**
 * Where singleton work takes its leases. Read on its own from the environment so that it does
 * not depend on how the rest of the configuration grows: REDIS_URL wins (a key with an expiry),
 * then a PostgreSQL DATABASE_URL (a session advisory lock), else one process is always leader.
 */
export type LeaseConfig =
  | { backend: 'local'; ttlMs: number }
  | { backend: 'redis'; ttlMs: number; url: string; keyPrefix: string }
  | { backend: 'postgres'; ttlMs: number; url: string };

export const DEFAULT_LEASE_TTL_MS = 10_000;

function ttlFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_LEASE_TTL_MS;
  const ttl = Number(value);
  // Below 300 ms a renewal round trip is a large part of the lease; above 10 minutes a dead
  // leader's work would stop for too long.
  if (!Number.isInteger(ttl) || ttl < 300 || ttl > 600_000) {
    throw new ConfigError(
      'invalid configuration: AGENT_OTP_LEASE_TTL_MS: must be a whole number of milliseconds from 300 to 600000',
    );
  }
  return ttl;
}

function urlFrom(name: string, value: string, protocols: string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`invalid configuration: ${name}: not a URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`invalid configuration: ${name}: must start with ${protocols.join(' or ')}//`);
  }
  return value;
}

export function parseLeaseConfig(env: Record<string, string | undefined>): LeaseConfig {
  const ttlMs = ttlFrom(env.AGENT_OTP_LEASE_TTL_MS);
  const redis = env.REDIS_URL?.trim();
  if (redis) {
    return {
      backend: 'redis',
      ttlMs,
      url: urlFrom('REDIS_URL', redis, ['redis:', 'rediss:']),
      keyPrefix: env.AGENT_OTP_REDIS_PREFIX?.trim() || 'agent-otp:',
    };
  }
  const database = env.DATABASE_URL?.trim();
  // Another DATABASE_URL (say, a SQLite path) is the store's business, not a lease backend.
  if (database && /^postgres(ql)?:/i.test(database)) {
    return {
      backend: 'postgres',
      ttlMs,
      url: urlFrom('DATABASE_URL', database, ['postgres:', 'postgresql:']),
    };
  }
  return { backend: 'local', ttlMs };
}
