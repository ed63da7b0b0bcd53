import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PermissionChange } from '@agent-otp/core';
import {
  cleanRedis,
  eventually,
  json,
  redisSkip,
  SHARED_REDIS,
  startInstances,
  uniquePrefix,
} from './cluster-helpers.ts';

const POLICY = `
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  approvalTimeout: 600
- name: reads
  conditions: { action: { equals: files.read } }
  action: auto_approve
`;

const skip = await redisSkip();

describe('two instances sharing Redis and one SQLite file', { skip }, () => {
  const prefix = uniquePrefix();
  let cluster: Awaited<ReturnType<typeof startInstances>>;
  let a: (typeof cluster.instances)[number];
  let b: (typeof cluster.instances)[number];
  let key: string;
  let approver: string;

  before(async () => {
    cluster = await startInstances(2, {
      policy: POLICY,
      env: { REDIS_URL: SHARED_REDIS, AGENT_OTP_REDIS_PREFIX: prefix, AGENT_OTP_RATE_LIMIT: '8' },
    });
    [a, b] = cluster.instances as [typeof a, typeof b];
    assert.ok(await eventually(async () => (await fetch(`${b.url}/readyz`)).status === 200));
    assert.ok(await eventually(async () => (await fetch(`${a.url}/readyz`)).status === 200));
    key = (await a.runtime.agents.create('payer', { type: 'system', id: 'test' })).apiKey;
    const actor = { type: 'system', id: 'test' } as const;
    const { user } = await a.runtime.users.create({ name: 'alice', role: 'approver' }, actor);
    approver = (await a.runtime.users.createToken(user.id, 'tests', actor)).token;
  });
  after(async () => {
    await cluster?.close();
    await cleanRedis(prefix);
  });

  const call = (base: string, method: string, path: string, token: string, body?: unknown) =>
    json(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('an event published on A reaches a subscriber on B once, and A’s own subscriber once', async () => {
    const onB: PermissionChange[] = [];
    const onA: PermissionChange[] = [];
    const stopB = b.runtime.events.subscribe('perm_clustertest1', (change) => onB.push(change));
    const stopA = a.runtime.events.subscribe('perm_clustertest1', (change) => onA.push(change));
    const change = {
      permissionId: 'perm_clustertest1',
      agentId: 'agt_x',
      status: 'approved',
      kind: 'approved',
    } as const;
    a.runtime.events.publish(change);
    assert.ok(await eventually(() => onB.length > 0, 3000), 'B heard the change');
    await new Promise((resolve) => setTimeout(resolve, 300));
    stopA();
    stopB();
    assert.deepEqual(onB, [change]);
    assert.deepEqual(onA, [change], 'A delivered its own change once (not again from Redis)');
  });

  it('a long-poll held on A answers as soon as the request is approved through B', async () => {
    const created = await call(a.url, 'POST', '/api/v1/permissions/request', key, {
      action: 'bank.transfer',
      scope: { max_amount: 20 },
    });
    assert.equal(created.status, 202);
    const id = created.body.data.id as string;
    const polling = call(a.url, 'GET', `/api/v1/permissions/${id}?wait=20`, key);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const approvedAt = performance.now();
    const approve = await call(b.url, 'POST', `/api/v1/approvals/${id}/approve`, approver, {});
    assert.equal(approve.body.data.outcome, 'approved');
    const polled = await polling;
    const waited = performance.now() - approvedAt;
    assert.equal(polled.status, 200);
    assert.equal(polled.body.data.status, 'approved');
    assert.match(polled.body.data.token, /^otp_/);
    // Without the shared channel A would hold the poll for its whole 20 s.
    assert.ok(waited < 1500, `answered ${Math.round(waited)} ms after the approval on B`);
  });

  it('the agent’s request budget is shared: 8 a minute across both instances, not 8 each', async () => {
    const limited = (await a.runtime.agents.create('counter', { type: 'system', id: 'test' })).apiKey;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const base = i % 2 === 0 ? a.url : b.url;
      statuses.push((await call(base, 'GET', '/api/v1/permissions?limit=1', limited)).status);
    }
    assert.deepEqual(statuses.slice(0, 8), Array(8).fill(200));
    assert.deepEqual(statuses.slice(8), Array(4).fill(429));
    const refused = await call(b.url, 'GET', '/api/v1/permissions?limit=1', limited);
    assert.equal(refused.body.error.code, 'RATE_LIMITED');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  });

  it('failed logins count across instances: five misses spread over A and B slow the sixth try', async () => {
    const actor = { type: 'system', id: 'test' } as const;
    await a.runtime.users.create({ name: 'bob', role: 'approver', password: 'the-right-password-1' }, actor);
    const meta = { ip: '203.0.113.9' };
    for (let i = 0; i < 5; i++) {
      const instance = i % 2 === 0 ? a : b;
      await assert.rejects(instance.runtime.users.login('bob', 'wrong-password-xx', meta), {
        code: 'UNAUTHORIZED',
      });
    }
    // Each instance alone saw at most three failures (under the five free ones): only the
    // shared count makes the right password wait now, on either instance.
    for (const instance of [a, b]) {
      await assert.rejects(instance.runtime.users.login('bob', 'the-right-password-1', meta), {
        code: 'RATE_LIMITED',
      });
    }
    // Another address is not slowed by this one's guesses.
    const ok = await b.runtime.users.login('bob', 'the-right-password-1', { ip: '198.51.100.7' });
    assert.equal(ok.user.name, 'bob');
  });

  it('/readyz shows Redis, the events channel and one policy version across the cluster', async () => {
    // Each announces itself, then A reads again: both are seen whatever order they started in.
    await b.runtime.cluster.presence.refresh();
    await a.runtime.cluster.presence.refresh();
    const ready = await json(`${a.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.redis, 'ok');
    assert.deepEqual(ready.body.events, { backend: 'redis', status: 'ok' });
    assert.equal(ready.body.policyMismatch, false);
    assert.equal(ready.body.cluster.instances, 2);
    assert.deepEqual(ready.body.cluster.policyVersions, [a.runtime.policy.current().version]);
    await b.runtime.cluster.presence.refresh();
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    assert.match(metrics, /agent_otp_cluster_policy_versions 1/);
    assert.match(metrics, /agent_otp_cluster_instances 2/);
    assert.ok(
      metrics.includes(`agent_otp_policy_version_info{version="${b.runtime.policy.current().version}"} 1`),
    );
  });
});
