import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, probePostgres } from '@agent-otp/store/postgres-test-db';
import { createClient } from 'redis';
import { type CpuUse, watchCpu } from './cpu.ts';
import { type Load, requestVerifyUse, type Started, start, stop, type Triple } from './harness.ts';

/**
 * The PostgreSQL scenarios of `npm run bench`: request / verify / use on one instance with its
 * own fresh database, and the same load on two instances sharing a database and Redis against
 * one instance of that same set-up. Every database and Redis key made here is removed afterwards.
 */

export const REDIS_URL = process.env.AGENT_OTP_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Measured extends Triple {
  cpu: Record<'request' | 'verify' | 'use', CpuUse | null>;
}

export interface Settings {
  connections: number;
  duration: number;
  /** Fresh tokens for one use scenario (each use spends one). */
  tokens: number;
}

/** Why the PostgreSQL scenarios cannot run, or null. */
export async function postgresUnavailable(): Promise<string | null> {
  const probe = await probePostgres();
  return probe.ok ? null : probe.reason;
}

/** Request, verify and use with the CPU each used, by role (`database`: PostgreSQL's, if any). */
export async function measured(
  servers: Started[],
  apiKey: string,
  permits: NonNullable<Started['info']['permits']>,
  database: string | undefined,
  settings: Omit<Settings, 'tokens'>,
): Promise<Measured> {
  const cpu: Measured['cpu'] = { request: null, verify: null, use: null };
  const pids = servers.map((server) => server.child.pid ?? -1);
  const triple = await requestVerifyUse(
    servers,
    apiKey,
    permits,
    settings.connections,
    settings.duration,
    async (scenario, run) => {
      const done = watchCpu(pids, database);
      const result: Load = await run();
      cpu[scenario as keyof Measured['cpu']] = done();
      return result;
    },
  );
  return { ...triple, cpu };
}

/** One instance on its own PostgreSQL database (no Redis: a single instance needs none). */
export async function benchPostgresOne(settings: Settings): Promise<Measured> {
  const db = await createTestDatabase();
  try {
    const server = await start('./real-server.ts', [String(settings.tokens + 1)], { DATABASE_URL: db.url });
    try {
      return await measured([server], server.info.apiKey ?? '', server.info.permits ?? [], db.name, settings);
    } finally {
      await stop(server);
    }
  } finally {
    await db.drop();
  }
}

/**
 * One instance, then two, on one PostgreSQL database with Redis (the set-up several instances
 * need), the same connections in both. The first instance makes the agent and every token; the
 * second joins with the same secret file.
 */
export async function benchCluster(settings: Settings): Promise<{ one: Measured; two: Measured }> {
  const db = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'agent-otp-bench-'));
  const prefix = `agent-otp-bench-${randomBytes(6).toString('hex')}:`;
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL,
    AGENT_OTP_REDIS_PREFIX: prefix,
    AGENT_OTP_SERVER_SECRET_FILE: join(dir, 'server-secret'),
  };
  const started: Started[] = [];
  try {
    const first = await start('./real-server.ts', [String(2 * settings.tokens + 2)], env);
    started.push(first);
    const apiKey = first.info.apiKey ?? '';
    const permits = first.info.permits ?? [];
    const half = Math.floor(permits.length / 2);
    const one = await measured([first], apiKey, permits.slice(0, half), db.name, settings);
    const second = await start('./real-server.ts', ['--join'], env);
    started.push(second);
    const two = await measured([first, second], apiKey, permits.slice(half), db.name, settings);
    return { one, two };
  } finally {
    for (const server of started) await stop(server);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
    await dropRedisKeys(prefix);
  }
}

/** Why the two-instance scenario cannot run for want of Redis, or null. */
export async function redisUnavailable(): Promise<string | null> {
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => undefined); // the failure is reported by connect() below
  try {
    await client.connect();
    await client.ping();
    await client.quit();
    return null;
  } catch (error) {
    return `Redis is not reachable at ${REDIS_URL} (${(error as Error).message})`;
  }
}

export async function dropRedisKeys(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    await client.quit();
  }
}
