import {
  createLoginThrottle,
  LOGIN_WINDOW_MS,
  type LoginThrottle,
  type ThrottleLimit,
  throttleWaitMs,
} from '@agent-otp/core';
import type { Logger } from 'pino';
import { loadRateLimiters } from '../optional-deps.ts';
import type { RedisClient } from './redis-client.ts';

/**
 * Counts a failure and restarts the key's window: a count is forgotten only after a whole
 * window without a failure (as in memory), so the remaining TTL tells when the last one was.
 */
const FAIL_SCRIPT = `local consumed = redis.call('incrby', KEYS[1], ARGV[1]) \
redis.call('pexpire', KEYS[1], tonumber(ARGV[2]) * 1000) \
return {consumed, tonumber(ARGV[2]) * 1000}`;

/**
 * The login throttle shared by every instance: failures of a key are counted in Redis (through
 * rate-limiter-flexible), so a guesser spreading attempts over N instances meets one budget.
 *
 * Fails to a per-instance limit, never to none: every failure is also counted in this
 * instance's memory, and the wait is the longer of the two. While Redis is down the memory
 * count alone applies, as on a single instance. Refusals are audited per instance (one entry
 * per key, window and instance).
 */
export function createRedisLoginThrottle(options: {
  client: RedisClient;
  prefix: string;
  now: () => number;
  logger: Logger;
}): LoginThrottle {
  const local = createLoginThrottle(options.now);
  const windowSeconds = LOGIN_WINDOW_MS / 1000;
  const failures = new (loadRateLimiters().RateLimiterRedis)({
    storeClient: options.client,
    useRedisPackage: true,
    rejectIfRedisNotReady: true,
    keyPrefix: `${options.prefix}login`,
    // Counting only: the wait is computed from the count (see throttleWaitMs), never refused here.
    points: Number.MAX_SAFE_INTEGER,
    duration: windowSeconds,
    customIncrTtlLuaScript: FAIL_SCRIPT,
  });
  let warned = false;
  const unavailable = (error: unknown) => {
    if (!warned) {
      options.logger.warn(
        { err: (error as Error).message },
        'login throttle: redis unreachable; counting failures per instance until it is back',
      );
    }
    warned = true;
  };

  return {
    async retryAfter(key, limit: ThrottleLimit) {
      const mine = local.retryAfter(key, limit);
      try {
        const shared = await failures.get(key);
        warned = false;
        if (!shared) return mine;
        const now = options.now();
        const lastFailure = now + shared.msBeforeNext - LOGIN_WINDOW_MS;
        const wait = throttleWaitMs(shared.consumedPoints, lastFailure, limit, now);
        return Math.max(mine, Math.ceil(wait / 1000));
      } catch (error) {
        unavailable(error);
        return mine;
      }
    },
    async fail(key) {
      local.fail(key);
      try {
        await failures.penalty(key, 1);
      } catch (error) {
        unavailable(error);
      }
    },
    refused: (key) => local.refused(key),
    async clear(key) {
      local.clear(key);
      try {
        await failures.delete(key);
      } catch (error) {
        unavailable(error);
      }
    },
  };
}
