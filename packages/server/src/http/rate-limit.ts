import { AgentOtpError, type Clock } from '@agent-otp/core';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';

/** An answer of a request limiter: allowed, or refused with the seconds until one is allowed. */
export type LimitOutcome = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * The request-limit port: one budget per key (an agent). The in-memory adapter serves one
 * instance; the Redis adapter (cluster/redis-rate-limit.ts) makes all instances share it.
 */
export interface RequestLimiter {
  consume(key: string): Promise<LimitOutcome>;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** A token bucket per key: `perMinute` requests a minute, bursts up to the same number. */
export function createMemoryRequestLimiter(perMinute: number, clock: Clock): RequestLimiter {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / 60_000;
  return {
    async consume(key) {
      const now = clock.now();
      const bucket = buckets.get(key) ?? { tokens: perMinute, updatedAt: now };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.updatedAt) * refillPerMs);
      bucket.updatedAt = now;
      buckets.set(key, bucket);
      if (bucket.tokens < 1) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000)),
        };
      }
      bucket.tokens -= 1;
      return { allowed: true };
    },
  };
}

/**
 * Per-agent request limit: `perMinute` requests a minute. Over the limit: 429 RATE_LIMITED with
 * Retry-After (seconds until one request is allowed again).
 */
export function agentRateLimit(perMinute: number, limiter: RequestLimiter): MiddlewareHandler<AppEnv> {
  // A request matched by two mounts of this middleware (`/x` and `/x/*`) is counted once.
  const counted = new WeakSet<Request>();
  return async (c, next) => {
    if (counted.has(c.req.raw)) return next();
    counted.add(c.req.raw);
    const outcome = await limiter.consume(c.get('agent').id);
    if (!outcome.allowed) {
      const retryAfter = outcome.retryAfterSeconds;
      c.header('Retry-After', String(retryAfter));
      throw new AgentOtpError('RATE_LIMITED', `rate limit of ${perMinute} requests a minute exceeded`, {
        retryAfter,
      });
    }
    await next();
  };
}
