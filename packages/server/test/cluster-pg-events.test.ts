import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PermissionChange } from '@agent-otp/core';
import { createTestDatabase } from '@agent-otp/store/postgres-test-db';
import pg from 'pg';
import { createPgEvents } from '../src/cluster/pg-events.ts';
import { createLogger } from '../src/index.ts';
import { eventually, json, serviceSkip, startInstances } from './cluster-helpers.ts';

const URL = process.env.AGENT_OTP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function query(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

const skip = await serviceSkip(`PostgreSQL at ${URL}`, () => query('SELECT 1'));

describe('permission events over PostgreSQL LISTEN/NOTIFY', { skip }, () => {
  const channel = `agent_otp_test_${randomBytes(5).toString('hex')}`;
  const logger = createLogger('silent');
  const tag = randomBytes(4).toString('hex');
  const make = (name: string) =>
    createPgEvents({ url: URL, channel, instanceId: `${tag}-${name}`, recheckMs: 200, logger });
  let a: ReturnType<typeof make>;
  let b: ReturnType<typeof make>;
  const change = (id: string): PermissionChange => ({
    permissionId: id,
    agentId: 'agt_x',
    status: 'approved',
    kind: 'approved',
  });
  /** Ends the events connection of one instance from the database's side, as a restart would. */
  const terminate = (name: string) =>
    query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
      `agent-otp-events ${tag}-${name}`,
    ]);

  before(async () => {
    a = make('a');
    b = make('b');
    assert.ok(await eventually(() => a.health().status === 'ok' && b.health().status === 'ok'));
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  it('a change published on A reaches B once, and A’s own listener once', async () => {
    const onA: PermissionChange[] = [];
    const onB: PermissionChange[] = [];
    const stopA = a.subscribe('perm_pg1', (c) => onA.push(c));
    const stopB = b.subscribe('perm_pg1', (c) => onB.push(c));
    a.publish(change('perm_pg1'));
    assert.ok(await eventually(() => onB.length > 0, 3000));
    await new Promise((resolve) => setTimeout(resolve, 300));
    stopA();
    stopB();
    assert.deepEqual(onB, [change('perm_pg1')]);
    assert.deepEqual(onA, [change('perm_pg1')]);
  });

  it('a burst of changes published in one tick reaches B complete and in order', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `perm_burst${i}`);
    const onB: string[] = [];
    const stops = ids.map((id) => b.subscribe(id, (c) => onB.push(c.permissionId)));
    // pg warns (and will refuse, from its next major version) when a query is sent on a client
    // still running one: the burst must go one statement at a time.
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    for (const id of ids) a.publish(change(id));
    assert.ok(await eventually(() => onB.length >= ids.length, 3000), `B heard ${onB.length} of 60`);
    process.off('warning', onWarning);
    for (const stop of stops) stop();
    assert.deepEqual(onB, ids);
    assert.deepEqual(
      warnings.filter((message) => message.includes('already executing a query')),
      [],
    );
  });

  it('connection ended: down in health, waiters re-check, then it reconnects and listens again', async () => {
    let wakes = 0;
    const stop = b.onMissedChanges?.(() => {
      wakes += 1;
    });
    await terminate('b');
    assert.ok(await eventually(() => b.health().status === 'down', 3000), 'reported down');
    assert.match(b.health().reason ?? '', /^postgres events channel down/);
    assert.ok(await eventually(() => b.health().status === 'ok', 5000), 'reconnected');
    assert.ok(wakes >= 1, 'waiters were woken to re-read');
    stop?.();
    const heard: PermissionChange[] = [];
    const unsubscribe = b.subscribe('perm_pg2', (c) => heard.push(c));
    a.publish(change('perm_pg2'));
    assert.ok(await eventually(() => heard.length === 1, 3000), 'listening again after the reconnect');
    unsubscribe();
  });

  it('a change A could not send makes the others re-read once A is back (resync)', async () => {
    await terminate('a');
    assert.ok(await eventually(() => a.health().status === 'down', 3000));
    let wokenOnB = 0;
    const stop = b.onMissedChanges?.(() => {
      wokenOnB += 1;
    });
    const heard: PermissionChange[] = [];
    const unsubscribe = b.subscribe('perm_pg3', (c) => heard.push(c));
    a.publish(change('perm_pg3'));
    assert.ok(await eventually(() => a.health().status === 'ok', 5000));
    assert.ok(await eventually(() => wokenOnB >= 1, 3000), 'B was told to re-read');
    assert.equal(heard.length, 0, 'the lost change itself is not replayed: waiters re-read the database');
    stop?.();
    unsubscribe();
  });
});

describe('event backend choice', { skip }, () => {
  it('DATABASE_URL on PostgreSQL and no REDIS_URL: events over LISTEN/NOTIFY, shown in /readyz', async () => {
    // A database of its own: the store records the server secret's fingerprint in it.
    const database = await createTestDatabase();
    const single = await startInstances(1, {
      env: {
        DATABASE_URL: database.url,
        AGENT_OTP_PG_CHANNEL: `agent_otp_test_${randomBytes(5).toString('hex')}`,
      },
    }).catch(async (error: unknown) => {
      await database.drop();
      throw error;
    });
    try {
      const [instance] = single.instances as [(typeof single.instances)[number]];
      assert.ok(await eventually(async () => (await fetch(`${instance.url}/readyz`)).status === 200));
      const ready = await json(`${instance.url}/readyz`);
      assert.deepEqual(ready.body.events, { backend: 'postgres', status: 'ok' });
      assert.equal(ready.body.redis, 'not configured');
    } finally {
      await single.close();
      await database.drop();
    }
  });
});
