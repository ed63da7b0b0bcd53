import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Actor } from '@agent-otp/core';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
`;

const ADMIN: Actor = { type: 'system', id: 'test' };

describe('racing decisions and deliveries have exactly one winner', () => {
  let t: TestRuntime;
  let key: string;
  const approvers: string[] = [];
  const deniers: string[] = [];

  async function userToken(name: string) {
    const { user } = await t.runtime.users.create({ name, role: 'approver' }, ADMIN);
    return (await t.runtime.users.createToken(user.id, 'tests', ADMIN)).token;
  }

  async function requestPending() {
    const response = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'bank.transfer', scope: { max_amount: 10 } },
    });
    assert.equal(response.status, 202);
    return response.body.data.id as string;
  }

  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    key = (await t.agent('racer')).apiKey;
    approvers.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => userToken(`approver-${i}`)))));
    deniers.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => userToken(`denier-${i}`)))));
  });
  after(() => t.close());

  for (let round = 1; round <= 3; round++) {
    it(`20 approvers and 20 deniers at once on a 1-quorum request: one final outcome (round ${round})`, async () => {
      const id = await requestPending();
      // Interleaved, so neither side gets a head start.
      const calls = approvers.flatMap((token, i) => [
        { token, action: 'approve' },
        { token: deniers[i] as string, action: 'deny' },
      ]);
      const responses = await Promise.all(
        calls.map(({ token, action }) =>
          t.call('POST', `/api/v1/approvals/${id}/${action}`, { key: token, body: {} }),
        ),
      );
      for (const r of responses) {
        assert.ok([200, 409].includes(r.status), `unexpected ${r.status}: ${JSON.stringify(r.body)}`);
        if (r.status === 409) assert.equal(r.body.error.code, 'INVALID_STATE');
      }
      const finals = responses.filter((r) => r.status === 200 && r.body.data.outcome !== 'vote_recorded');
      assert.equal(finals.length, 1, 'exactly one caller decided');

      const stored = await t.runtime.store.getPermission(id);
      assert.ok(stored?.status === 'approved' || stored?.status === 'denied', `stored ${stored?.status}`);
      assert.equal(finals[0]?.body.data.outcome, stored?.status);
      const audit = await t.runtime.store.listAudit({ permissionId: id, limit: 500 });
      const decisions = audit.filter(
        (e) => e.event === 'permission.approved' || e.event === 'permission.denied',
      );
      assert.equal(decisions.length, 1, 'exactly one decision in the audit log');
      assert.equal(decisions[0]?.event, `permission.${stored?.status}`);
      // Every recorded vote precedes the decision; none was counted after it.
      const decisionSeq = decisions[0]?.seq ?? 0;
      const votes = audit.filter((e) => e.event === 'approval.vote');
      assert.equal(votes.length, (await t.runtime.store.listApprovalVotes(id)).length);
      assert.ok(votes.every((v) => v.seq < decisionSeq));

      // Whatever won, the agent's reads agree with it.
      const seen = await t.call('GET', `/api/v1/permissions/${id}`, { key });
      assert.equal(seen.body.data.status, stored?.status);
      assert.equal(Boolean(seen.body.data.token), stored?.status === 'approved');
    });
  }

  it('a deny vote still on its way to its transition wins over an approval that counts it', async () => {
    const id = await requestPending();
    // The deny's vote is in, its transition not yet: what a racing approver sees mid-flight.
    const denier = await t.runtime.users.find('denier-0');
    const permission = await t.runtime.store.getPermission(id);
    assert.ok(permission);
    const vote = { permissionId: id, userId: denier.id, userName: denier.name, decision: 'deny' as const };
    const recorded = await t.runtime.store.addApprovalVote(
      { ...vote, scope: null, ttlSeconds: null, reason: null, createdAt: t.clock.now() },
      t.clock.now(),
      [],
    );
    assert.equal(recorded, 'recorded');
    const approve = await t.call('POST', `/api/v1/approvals/${id}/approve`, { key: approvers[2], body: {} });
    assert.equal(approve.status, 200);
    assert.equal(approve.body.data.outcome, 'vote_recorded');
    const stored = await t.runtime.store.getPermission(id);
    assert.equal(stored?.status, 'pending', 'not approved over a recorded deny');
    assert.equal(stored?.tokenHash, null);
  });

  it('50 concurrent agent reads after an approval: exactly one carries the token', async () => {
    const id = await requestPending();
    const approve = await t.call('POST', `/api/v1/approvals/${id}/approve`, { key: approvers[0], body: {} });
    assert.equal(approve.body.data.outcome, 'approved');
    const reads = await Promise.all(
      Array.from({ length: 50 }, () => t.call('GET', `/api/v1/permissions/${id}`, { key })),
    );
    assert.ok(reads.every((r) => r.status === 200 && r.body.data.status === 'approved'));
    const withToken = reads.filter((r) => r.body.data.token !== undefined);
    assert.equal(withToken.length, 1);
    const token = withToken[0]?.body.data.token as string;
    assert.equal((await t.runtime.store.getPermission(id))?.tokenHash, t.runtime.hasher.hash(token));
    assert.equal(
      (await t.runtime.store.listAudit({ permissionId: id, event: 'token.delivered', limit: 100 })).length,
      1,
    );
    const use = await t.call('POST', `/api/v1/permissions/${id}/use`, { key, body: { token } });
    assert.equal(use.status, 200, 'the one delivered token is the one that works');
  });

  it('concurrent long-polls and plain reads of one decision: one token between them', async () => {
    const id = await requestPending();
    const waiting = Array.from({ length: 10 }, () =>
      t.runtime.app.request(`/api/v1/permissions/${id}?wait=5`, {
        headers: { authorization: `Bearer ${key}` },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const approve = await t.call('POST', `/api/v1/approvals/${id}/approve`, { key: approvers[1], body: {} });
    assert.equal(approve.body.data.outcome, 'approved');
    const plain = Array.from({ length: 10 }, () => t.call('GET', `/api/v1/permissions/${id}`, { key }));
    const polled = await Promise.all(
      waiting.map(async (r) => (await r).json() as Promise<{ data: { status: string; token?: string } }>),
    );
    const read = await Promise.all(plain);
    const all = [...polled.map((b) => b.data), ...read.map((r) => r.body.data)];
    assert.ok(all.every((d) => d.status === 'approved'));
    assert.equal(all.filter((d) => d.token !== undefined).length, 1);
  });
});
