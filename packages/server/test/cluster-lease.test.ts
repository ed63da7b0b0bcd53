import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import pino from 'pino';
import { createLeader, type Leader } from '../src/cluster/leader.ts';
import { advisoryKey, createPostgresLease, NAMESPACE } from '../src/cluster/lease-postgres.ts';
import { createRedisLease } from '../src/cluster/lease-redis.ts';
import { redisServerAvailable, startOwnRedis } from './cluster-services.ts';

/**
 * Leases on the real stores: one leader at a time, failover within about one TTL, and a leader
 * that can no longer confirm its lease stops its work before another can take it over.
 */

const TTL = 600;
const logger = pino({ level: 'silent' });
const PG_URL = process.env.AGENT_OTP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A singleton that records whether it runs, and every overlap of two runners. */
function recorder() {
  const running = new Set<string>();
  const log: string[] = [];
  let overlaps = 0;
  const work = (who: string) => ({
    start() {
      if (running.size > 0) overlaps += 1;
      running.add(who);
      log.push(`${who} start`);
    },
    stop(reason: 'lost' | 'shutdown') {
      running.delete(who);
      log.push(`${who} stop ${reason}`);
    },
  });
  return { running, log, work, overlaps: () => overlaps };
}

async function until(what: string, check: () => boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    assert.ok(Date.now() - started < ms, `${what} within ${ms} ms`);
    await sleep(20);
  }
  return Date.now() - started;
}

async function failover(leaders: [Leader, Leader], name: string) {
  const r = recorder();
  const handles = [leaders[0].run(name, r.work('a')), leaders[1].run(name, r.work('b'))];
  await until('one leader', () => r.running.size === 1, 3 * TTL);
  await sleep(3 * TTL);
  assert.equal(r.running.size, 1, 'still exactly one leader after several renewals');
  const first = [...r.running][0] as string;
  const other = first === 'a' ? 'b' : 'a';
  await handles[first === 'a' ? 0 : 1]?.stop();
  assert.ok(r.log.includes(`${first} stop shutdown`));
  // A released lease is free at once: the other takes it at its next attempt (a quarter TTL).
  await until('failover after a release', () => r.running.has(other), 2 * TTL);
  assert.equal(r.overlaps(), 0);
  return { r, handles, other };
}

test('Redis leases: one leader, failover on release, and Redis gone stops the work within a TTL', {
  skip: redisServerAvailable() ? false : 'needs a redis-server binary',
}, async () => {
  const redis = await startOwnRedis();
  const leaders = [0, 1].map(() =>
    createLeader({
      backend: async () => createRedisLease({ url: redis.url, keyPrefix: 't:', logger }),
      ttlMs: TTL,
      logger,
    }),
  ) as [Leader, Leader];
  try {
    const { r, other } = await failover(leaders, 'job');
    await redis.kill();
    const took = await until('the leader stops once Redis is gone', () => !r.running.has(other), 2 * TTL);
    assert.ok(r.log.includes(`${other} stop lost`), r.log.join(', '));
    assert.ok(took <= TTL + 100, `stopped ${took} ms after Redis died`);
  } finally {
    await Promise.all(leaders.map((leader) => leader.close()));
    await redis.kill();
  }
});

test('Redis leases compare the value: an expired holder can neither renew nor release the next one', {
  skip: redisServerAvailable() ? false : 'needs a redis-server binary',
}, async () => {
  const redis = await startOwnRedis();
  const a = createRedisLease({ url: redis.url, keyPrefix: 't:', logger });
  const b = createRedisLease({ url: redis.url, keyPrefix: 't:', logger });
  try {
    assert.equal(await a.acquire('x', 200), true);
    assert.equal(await b.acquire('x', 200), false);
    await sleep(300);
    assert.equal(await b.acquire('x', 5000), true);
    assert.equal(await a.renew('x', 5000), false);
    await a.release('x');
    assert.equal(await b.renew('x', 5000), true, 'b still holds it after a released');
    assert.equal(await a.acquire('x', 5000), false);
  } finally {
    await a.close();
    await b.close();
    await redis.kill();
  }
});

test('PostgreSQL advisory-lock leases: one leader, failover on release and on a dead session', async (t) => {
  const probe = new pg.Client({ connectionString: PG_URL });
  try {
    await probe.connect();
  } catch {
    t.skip(`no PostgreSQL at ${PG_URL}`);
    return;
  }
  const name = `job-${randomBytes(4).toString('hex')}`;
  const leaders = [0, 1].map(() =>
    createLeader({
      backend: async () => createPostgresLease({ url: PG_URL, idleTimeoutMs: TTL, logger }),
      ttlMs: TTL,
      logger,
    }),
  ) as [Leader, Leader];
  try {
    const { r, handles, other } = await failover(leaders, name);
    // The leader's session dies (a crashed process, a cut connection): PostgreSQL drops its lock.
    const killed = await probe.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND classid = $1::int4::oid AND objid = $2::int4::oid`,
      [NAMESPACE, advisoryKey(name)],
    );
    assert.ok((killed.rowCount ?? 0) >= 1, 'the lease session was found');
    await until('the old leader notices', () => r.log.includes(`${other} stop lost`), 2 * TTL);
    // Its own next attempt takes a new session; nobody else competes (the first leader stopped).
    await until('the lease is taken again on a new session', () => r.running.has(other), 3 * TTL);
    await handles[other === 'a' ? 0 : 1]?.stop();
    assert.equal(r.overlaps(), 0);
  } finally {
    await Promise.all(leaders.map((leader) => leader.close()));
    await probe.end();
  }
});
