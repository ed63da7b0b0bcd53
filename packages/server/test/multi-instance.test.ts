import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, clusterActors, startCluster } from './cluster-harness.ts';
import { CLUSTER_SETUPS } from './cluster-setups.ts';
import { callJson } from './http-client.ts';

/**
 * Two real instances on one shared state behave as one server: whatever instance a request
 * lands on, a decision made on one is seen on the other, and every race across them has
 * exactly one winner. Runs on every setup of cluster-setups.ts that this machine can run.
 */

const POLICY = `
- name: reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
- name: sends
  conditions: { action: { equals: gmail.send } }
  action: require_approval
  approvalTimeout: 3600
- name: default deny
  conditions: {}
  action: deny
  priority: -1000
`;

/** Cross-instance events (Redis fan-out) are not part of every build: the integrator flips this. */

for (const setup of CLUSTER_SETUPS) {
  describe(`multi-instance: ${setup.name}`, { skip: setup.skip ?? false, timeout: 240_000 }, () => {
    let cluster: Cluster;
    let keys: { agentKey: string; userToken: string };
    let a: string;
    let b: string;
    const agent = (url: string, method: string, path: string, body?: unknown) =>
      callJson(url, method, path, keys.agentKey, body);
    const human = (url: string, path: string, body?: unknown) =>
      callJson(url, 'POST', path, keys.userToken, body);

    before(async () => {
      cluster = await startCluster(setup, { policy: POLICY });
      keys = await clusterActors(cluster);
      [a, b] = cluster.urls() as [string, string];
    });
    after(() => cluster?.close());

    test('a request made on A, approved on B, reads approved on A with its token, once', async () => {
      const asked = await agent(a, 'POST', '/api/v1/permissions/request', {
        action: 'gmail.send',
        resource: 'email:x',
      });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      const id = asked.body.data.id as string;
      const approved = await human(b, `/api/v1/approvals/${id}/approve`);
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      const read = await agent(a, 'GET', `/api/v1/permissions/${id}`);
      assert.equal(read.body.data.status, 'approved');
      assert.match(read.body.data.token, /^otp_/);
      const again = await agent(b, 'GET', `/api/v1/permissions/${id}`);
      assert.equal(again.body.data.token, undefined, 'the token is delivered once, across instances too');
      const used = await agent(b, 'POST', `/api/v1/permissions/${id}/use`, { token: read.body.data.token });
      assert.equal(used.status, 200, JSON.stringify(used.body));
    });

    test('1,000 concurrent uses of one token across A and B: exactly one succeeds', {
      timeout: 120_000,
    }, async () => {
      const asked = await agent(a, 'POST', '/api/v1/permissions/request', {
        action: 'file.read',
        resource: 'file:r',
      });
      assert.equal(asked.status, 201, JSON.stringify(asked.body));
      const { id, token } = asked.body.data as { id: string; token: string };
      const answers = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          agent(i % 2 === 0 ? a : b, 'POST', `/api/v1/permissions/${id}/use`, { token }).catch(
            (error: Error) => ({
              status: 0,
              body: { error: { code: `NETWORK: ${error.message}` } },
            }),
          ),
        ),
      );
      const byOutcome = new Map<string, number>();
      for (const answer of answers) {
        const key = `${answer.status} ${answer.body.error?.code ?? 'ok'}`;
        byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
      }
      assert.deepEqual(Object.fromEntries(byOutcome), { '200 ok': 1, '409 TOKEN_USED': 999 });
      await cluster.withRuntime(async (runtime) => {
        const used = await runtime.store.listAudit({ permissionId: id, event: 'token.used', limit: 10 });
        assert.equal(used.length, 1, 'one token.used entry in the audit log');
      });
    });

    test('approve on A racing deny on B: one decision, the other refused', async () => {
      const outcomes: string[] = [];
      for (let round = 0; round < 20; round += 1) {
        const asked = await agent(a, 'POST', '/api/v1/permissions/request', {
          action: 'gmail.send',
          resource: 'email:r',
        });
        const id = asked.body.data.id as string;
        const [approve, deny] = await Promise.all([
          human(round % 2 ? a : b, `/api/v1/approvals/${id}/approve`),
          human(round % 2 ? b : a, `/api/v1/approvals/${id}/deny`, { reason: 'race' }),
        ]);
        const winners = [approve, deny].filter((answer) => answer.status === 200);
        assert.equal(
          winners.length,
          1,
          `${id}: ${approve.status} ${JSON.stringify(approve.body)} / ${deny.status}`,
        );
        const loser = approve.status === 200 ? deny : approve;
        assert.equal(loser.status, 409, JSON.stringify(loser.body));
        assert.equal(typeof loser.body.error?.code, 'string');
        const read = await agent(b, 'GET', `/api/v1/permissions/${id}`);
        const expected = approve.status === 200 ? 'approved' : 'denied';
        assert.equal(read.body.data.status, expected);
        outcomes.push(expected);
        await cluster.withRuntime(async (runtime) => {
          const decided = (await runtime.store.listAudit({ permissionId: id, limit: 20 })).filter((entry) =>
            ['permission.approved', 'permission.denied'].includes(entry.event),
          );
          assert.equal(decided.length, 1, `${id}: ${decided.map((entry) => entry.event)}`);
        });
      }
      assert.ok(outcomes.length === 20);
    });

    test('a long-poll waiting on A gets its token when B approves', {
      skip: setup.crossEvents
        ? false
        : 'instances sharing only a SQLite file have no events channel: a waiter there wakes at the end of its wait',
    }, async () => {
      const asked = await agent(a, 'POST', '/api/v1/permissions/request', {
        action: 'gmail.send',
        resource: 'email:w',
      });
      const id = asked.body.data.id as string;
      const started = Date.now();
      const waiting = agent(a, 'GET', `/api/v1/permissions/${id}?wait=30`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await human(b, `/api/v1/approvals/${id}/approve`)).status, 200);
      const read = await waiting;
      assert.equal(read.body.data.status, 'approved');
      assert.match(read.body.data.token, /^otp_/);
      assert.ok(
        Date.now() - started < 10_000,
        `woken after ${Date.now() - started} ms, not at the end of the wait`,
      );
    });
  });
}
