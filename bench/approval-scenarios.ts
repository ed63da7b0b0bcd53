import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@agent-otp/store/postgres-test-db';
import { benchApprovalLatency } from './approval-latency.ts';
import { type Started, start, stop } from './harness.ts';
import { dropRedisKeys, REDIS_URL } from './postgres-scenarios.ts';

/**
 * The approval latency (approval sent → waiting agent holds the token) on every store and events
 * set-up: SQLite; PostgreSQL, one instance; and two instances on one PostgreSQL database where
 * the agent waits on one instance and the approver posts to the other, so the decision travels
 * through the events channel — LISTEN/NOTIFY, or Redis pub/sub when Redis is there.
 */
export interface ApprovalRow {
  setup: string;
  p50_ms: number;
  p99_ms: number;
  samples: number;
  long_polls: number;
}

const urlOf = (server: Started) => `http://127.0.0.1:${server.info.port}`;

async function measure(setup: string, waitOn: Started, approveOn: Started, samples: number) {
  const result = await benchApprovalLatency(
    {
      baseUrl: urlOf(waitOn),
      approveUrl: urlOf(approveOn),
      apiKey: approveOn.info.apiKey ?? '',
      userToken: approveOn.info.userToken ?? '',
    },
    samples,
  );
  return { setup, ...result };
}

export async function benchApprovalSetups(options: {
  samples: number;
  postgres: boolean;
  redis: boolean;
  log?: (row: ApprovalRow) => void;
}): Promise<ApprovalRow[]> {
  const rows: ApprovalRow[] = [];
  const add = (row: ApprovalRow) => {
    rows.push(row);
    options.log?.(row);
  };
  const sqlite = await start('./real-server.ts', ['0']);
  try {
    add(await measure('SQLite', sqlite, sqlite, options.samples));
  } finally {
    await stop(sqlite);
  }
  if (!options.postgres) return rows;

  const one = await createTestDatabase();
  try {
    const server = await start('./real-server.ts', ['0'], { DATABASE_URL: one.url });
    try {
      add(await measure('PostgreSQL, one instance', server, server, options.samples));
    } finally {
      await stop(server);
    }
  } finally {
    await one.drop();
  }

  const clusters: [string, Record<string, string>][] = [['LISTEN/NOTIFY', {}]];
  const prefix = `agent-otp-bench-${randomBytes(6).toString('hex')}:`;
  if (options.redis) clusters.push(['Redis', { REDIS_URL, AGENT_OTP_REDIS_PREFIX: prefix }]);
  for (const [channel, extra] of clusters) {
    const db = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'agent-otp-bench-'));
    const env = { DATABASE_URL: db.url, AGENT_OTP_SERVER_SECRET_FILE: join(dir, 'server-secret'), ...extra };
    const started: Started[] = [];
    try {
      const first = await start('./real-server.ts', ['0'], env);
      started.push(first);
      const second = await start('./real-server.ts', ['--join'], env);
      started.push(second);
      // The agent waits on the second instance; the approval is made on the first.
      add(await measure(`PostgreSQL, two instances (${channel})`, second, first, options.samples));
    } finally {
      for (const server of started) await stop(server);
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (options.redis) await dropRedisKeys(prefix);
  return rows;
}
