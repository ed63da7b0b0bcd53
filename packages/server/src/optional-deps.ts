import { lazyRequire } from '@agent-otp/core';
import type * as SlackWebApi from '@slack/web-api';
import type * as Grammy from 'grammy';
import type pg from 'pg';
import type * as RateLimiterFlexible from 'rate-limiter-flexible';
import type * as Redis from 'redis';

/**
 * The drivers of the optional backends, loaded at their first use: a server on SQLite without
 * Redis, Telegram or Slack starts without them (~0.5 s less start-up; BENCHMARKS.md).
 */
export const loadPg = lazyRequire<typeof pg>(import.meta.url, 'pg');
export const loadRedis = lazyRequire<typeof Redis>(import.meta.url, 'redis');
export const loadRateLimiters = lazyRequire<typeof RateLimiterFlexible>(
  import.meta.url,
  'rate-limiter-flexible',
);
export const loadGrammy = lazyRequire<typeof Grammy>(import.meta.url, 'grammy');
export const loadSlack = lazyRequire<typeof SlackWebApi>(import.meta.url, '@slack/web-api');
