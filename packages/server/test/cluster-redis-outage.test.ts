import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PermissionChange } from '@agent-otp/core';
import { eventually, json, ownRedis, serviceSkip, startInstances, uniquePrefix } from './cluster-helpers.ts';

const POLICY = `
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  approvalTimeout: 600
`;

const skip = await serviceSkip('redis-server (the binary, to run a Redis of our own)', async () => {
  const redis = await ownRedis();
  await redis.stop();
});

describe('a Redis outage: readiness, waiters, limits and recovery', { skip }, () => {
  let redis: Awaited<ReturnType<typeof ownRedis>>;
  let cluster: Awaited<ReturnType<typeof startInstances>>;
  let a: (typeof cluster.instances)[number];
  let b: (typeof cluster.instances)[number];
  let key: string;
  let approver: string;

  const call = (base: string, method: string, path: string, token: string, body?: unknown) =>
    json(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const readyStatus = async (base: string) => (await fetch(`${base}/readyz`)).status;

  before(async () => {
    redis = await ownRedis();
    cluster = await startInstances(2, {
      policy: POLICY,
      env: {
        REDIS_URL: redis.url,
        AGENT_OTP_REDIS_PREFIX: uniquePrefix(),
        AGENT_OTP_EVENTS_RECHECK_MS: '200',
        AGENT_OTP_CLUSTER_HEARTBEAT_MS: '200',
      },
    });
    [a, b] = cluster.instances as [typeof a, typeof b];
    key = (await a.runtime.agents.create('payer', { type: 'system', id: 'test' })).apiKey;
    const actor = { type: 'system', id: 'test' } as const;
    const { user } = await a.runtime.users.create({ name: 'alice', role: 'approver' }, actor);
    approver = (await a.runtime.users.createToken(user.id, 'tests', actor)).token;
    await a.runtime.users.create({ name: 'bob', role: 'approver', password: 'the-right-password-1' }, actor);
  });
  after(async () => {
    await cluster?.close();
    await redis?.stop();
  });

  it('is ready with Redis up', async () => {
    assert.ok(
      await eventually(async () => (await readyStatus(a.url)) === 200 && (await readyStatus(b.url)) === 200),
    );
  });

  it('Redis stopped: /readyz is 503 with the reason, and a long-poll still wakes on an approval made elsewhere', async () => {
    await redis.stop();
    assert.ok(await eventually(async () => (await readyStatus(a.url)) === 503));
    const down = await json(`${a.url}/readyz`);
    assert.equal(down.body.status, 'unavailable');
    assert.equal(down.body.redis, 'unreachable');
    assert.match(down.body.reason, /^redis unreachable: /);
    assert.equal(down.body.database, 'ok');

    // Agents are still served (the request limit falls back to each instance's own).
    const created = await call(a.url, 'POST', '/api/v1/permissions/request', key, {
      action: 'bank.transfer',
    });
    assert.equal(created.status, 202);
    const id = created.body.data.id as string;
    const polling = call(a.url, 'GET', `/api/v1/permissions/${id}?wait=20`, key);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const approvedAt = performance.now();
    // B cannot tell A: A's waiter finds the approval by re-reading while the channel is down.
    const approve = await call(b.url, 'POST', `/api/v1/approvals/${id}/approve`, approver, {});
    assert.equal(approve.body.data.outcome, 'approved');
    const polled = await polling;
    assert.equal(polled.body.data.status, 'approved');
    const waited = performance.now() - approvedAt;
    assert.ok(waited < 2000, `answered ${Math.round(waited)} ms after the approval (re-check every 200 ms)`);
  });

  it('Redis stopped: the login throttle falls back to this instance’s count, never to none', async () => {
    const meta = { ip: '192.0.2.44' };
    for (let i = 0; i < 5; i++) {
      await assert.rejects(a.runtime.users.login('bob', 'wrong-password-xx', meta), { code: 'UNAUTHORIZED' });
    }
    await assert.rejects(a.runtime.users.login('bob', 'the-right-password-1', meta), {
      code: 'RATE_LIMITED',
    });
  });

  it('Redis back: ready again, and events flow between the instances again', async () => {
    await redis.start();
    assert.ok(
      await eventually(
        async () => (await readyStatus(a.url)) === 200 && (await readyStatus(b.url)) === 200,
        10_000,
      ),
      'both instances ready again',
    );
    const heard: PermissionChange[] = [];
    const stop = b.runtime.events.subscribe('perm_afteroutage', (change) => heard.push(change));
    // The subscription may come back a moment after the command connection.
    assert.ok(
      await eventually(
        () => {
          a.runtime.events.publish({
            permissionId: 'perm_afteroutage',
            agentId: 'agt_x',
            status: 'denied',
            kind: 'denied',
          });
          return heard.length > 0;
        },
        5000,
        200,
      ),
    );
    stop();
    const ready = await json(`${b.url}/readyz`);
    assert.deepEqual(ready.body.events, { backend: 'redis', status: 'ok' });
  });
});
