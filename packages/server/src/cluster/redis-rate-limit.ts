import type { RequestLimiter } from '../http/rate-limit.ts';
import { loadRateLimiters } from '../optional-deps.ts';
import type { RedisClient } from './redis-client.ts';

/**
 * The per-agent request limit shared by every instance: one counter per agent and minute in
 * Redis (a fixed window of 60 s, not the single instance's token bucket). While Redis is down
 * each instance falls back to its own in-memory limit of the same size, so the cluster allows
 * at most N times the budget then, never unlimited.
 */
export function createRedisRequestLimiter(options: {
  client: RedisClient;
  prefix: string;
  perMinute: number;
}): RequestLimiter {
  const limiter = new (loadRateLimiters().RateLimiterRedis)({
    storeClient: options.client,
    useRedisPackage: true,
    rejectIfRedisNotReady: true,
    keyPrefix: `${options.prefix}rate:agent`,
    points: options.perMinute,
    duration: 60,
    insuranceLimiter: new (loadRateLimiters().RateLimiterMemory)({ points: options.perMinute, duration: 60 }),
  });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return { allowed: true };
      } catch (outcome) {
        if (outcome instanceof loadRateLimiters().RateLimiterRes) {
          return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)) };
        }
        throw outcome;
      }
    },
  };
}
