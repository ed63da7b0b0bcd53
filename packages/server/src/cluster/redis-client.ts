import type { Logger } from 'pino';
import type { RedisClientType } from 'redis';
import { loadRedis } from '../optional-deps.ts';

export type RedisClient = RedisClientType;

export interface RedisClients {
  /** Commands: publish, rate limits, throttles, presence. Fails fast while disconnected. */
  client: RedisClient;
  /** The subscriber connection (a Redis connection in subscribe mode takes no other command). */
  subscriber: RedisClient;
  /** A PING within `timeoutMs`: null when Redis answers, else why not. */
  check(timeoutMs?: number): Promise<string | null>;
  close(): Promise<void>;
}

/**
 * The Redis connections of one instance. They connect in the background and reconnect forever
 * (backoff up to 2 s), so an instance starts while Redis is away and reports it in /readyz
 * instead of failing. No offline queue: a command while Redis is down fails at once, so callers
 * fall back (rate limits) or report (readiness) rather than hang.
 */
export function createRedisClients(url: string, logger: Logger): RedisClients {
  const options = {
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
    },
  };
  const client = loadRedis().createClient(options) as RedisClient;
  const subscriber = loadRedis().createClient(options) as RedisClient;
  let lastError: string | null = null;
  for (const [role, c] of [
    ['commands', client],
    ['subscriber', subscriber],
  ] as const) {
    let down = false;
    c.on('error', (error: Error) => {
      lastError = error.message;
      // Said once per outage: a reconnect loop would repeat it every retry.
      if (!down) logger.error({ role, err: error.message }, 'redis connection lost; reconnecting');
      down = true;
    });
    c.on('ready', () => {
      if (down) logger.info({ role }, 'redis connection back');
      down = false;
    });
    c.connect().catch((error: Error) => {
      lastError = error.message;
    });
  }

  return {
    client,
    subscriber,
    async check(timeoutMs = 1000) {
      if (!client.isReady) return `redis unreachable: ${lastError ?? 'not connected'}`;
      if (!subscriber.isReady) return `redis subscriber unreachable: ${lastError ?? 'not connected'}`;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return null;
      } catch (error) {
        return `redis unreachable: ${(error as Error).message}`;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      for (const c of [client, subscriber]) {
        c.removeAllListeners('error');
        c.on('error', () => undefined);
        // A client still (re)connecting is dropped at once; a connected one finishes its replies.
        if (c.isReady) await c.close().catch(() => c.destroy());
        else if (c.isOpen) c.destroy();
      }
    },
  };
}
