import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createClient } from 'redis';
import { freePort } from './child-server.ts';

/**
 * The services a cluster test can run on: a redis-server of the test's own (on a free port, so
 * it can be stopped without touching anyone else's), a Redis named by REDIS_URL (under a key
 * prefix of the test's own), and a PostgreSQL database of the test's own on the server that
 * DATABASE_URL names (created, then dropped).
 */

export interface OwnRedis {
  url: string;
  /** SIGKILL: Redis is gone at once, as in a crash. */
  kill(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = once(child, 'exit');
  const url = `redis://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited at start`);
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      await client.close();
      break;
    } catch {
      client.destroy();
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not answer`);
      }
    }
  }
  return {
    url,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Reads one key (a lease's holder) from a Redis. */
export async function redisGet(url: string, key: string): Promise<string | null> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.get(key);
  } finally {
    await client.close();
  }
}

/** Deletes every key under a prefix (the test's own keys on a shared Redis). */
export async function redisDeletePrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    await client.close();
  }
}

export interface OwnDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database (`aotp_cluster_…`) on the server of `serverUrl`. */
export async function createOwnDatabase(serverUrl: string): Promise<OwnDatabase> {
  const name = `aotp_cluster_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Who holds an advisory-lock lease: the application_name of the session holding the lock. */
export async function postgresLeaseHolder(
  url: string,
  classid: number,
  objid: number,
): Promise<string | null> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ name: string }>(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid`,
      [classid, objid],
    );
    return result.rows[0]?.name ?? null;
  } finally {
    await client.end();
  }
}
