import type { Logger } from 'pino';
import { loadRedis } from '../optional-deps.ts';
import { type LeaseBackend, newHolderId } from './lease.ts';

/** Extends the key's expiry only while it still names this holder (compare, then set). */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`;
/** Deletes the key only while it still names this holder: never another instance's lease. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`;

/**
 * Leases as Redis keys: `SET key holder NX PX ttl` takes one; renewal and release are Lua
 * scripts that compare the value first, so an instance whose lease expired can never extend or
 * delete the next holder's. The key expires by itself when the holder dies.
 */
export function createRedisLease(options: { url: string; keyPrefix: string; logger: Logger }): LeaseBackend {
  const holder = newHolderId();
  const client = loadRedis().createClient({
    url: options.url,
    // A command while disconnected fails at once instead of waiting in a queue: a renewal that
    // cannot reach Redis must count as lost, not arrive late.
    disableOfflineQueue: true,
    socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000) },
  });
  let reported = false;
  client.on('error', (error: Error) => {
    // The client reconnects by itself; say so once per outage, not on every retry.
    if (!reported) options.logger.warn({ err: error }, 'lease store (Redis) unreachable; retrying');
    reported = true;
  });
  client.on('ready', () => {
    reported = false;
  });
  let connecting: Promise<unknown> | null = null;
  const ready = async () => {
    connecting ??= client.connect();
    await connecting;
  };
  const key = (name: string) => `${options.keyPrefix}lease:${name}`;

  return {
    kind: 'redis',
    holder,
    async acquire(name, ttlMs) {
      await ready();
      const taken = await client.set(key(name), holder, {
        condition: 'NX',
        expiration: { type: 'PX', value: ttlMs },
      });
      return taken === 'OK';
    },
    async renew(name, ttlMs) {
      await ready();
      const renewed = await client.eval(RENEW, { keys: [key(name)], arguments: [holder, String(ttlMs)] });
      return renewed === 1;
    },
    async release(name) {
      if (!client.isReady) return;
      await client.eval(RELEASE, { keys: [key(name)], arguments: [holder] });
    },
    async close() {
      if (connecting === null) return;
      if (client.isReady) await client.close();
      else client.destroy();
    },
  };
}
