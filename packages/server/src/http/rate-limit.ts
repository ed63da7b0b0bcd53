import { AgentOtpError, type Clock } from '@agent-otp/core';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Per-agent token bucket: `perMinute` requests a minute, bursts up to the same number. Over the
 * limit: 429 RATE_LIMITED with Retry-After (seconds until one request is allowed again).
 * In-process; several instances share limits through Redis (a later adapter).
 */
export function agentRateLimit(perMinute: number, clock: Clock): MiddlewareHandler<AppEnv> {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / 60_000;

  return async (c, next) => {
    const agentId = c.get('agent').id;
    const now = clock.now();
    const bucket = buckets.get(agentId) ?? { tokens: perMinute, updatedAt: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = now;
    buckets.set(agentId, bucket);
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
      c.header('Retry-After', String(retryAfter));
      throw new AgentOtpError('RATE_LIMITED', `rate limit of ${perMinute} requests a minute exceeded`, {
        retryAfter,
      });
    }
    bucket.tokens -= 1;
    await next();
  };
}
