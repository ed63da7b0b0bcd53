import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Actor, createChainVerifier, type UserRole } from '@agent-otp/core';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  approvalTimeout: 600
- name: wires
  conditions: { action: { equals: bank.wire } }
  action: require_approval
  approvals: 2
  approvalTimeout: 600
`;

const ADMIN: Actor = { type: 'system', id: 'test' };
const TOKEN = /otp_[A-Za-z0-9_-]{43}/;

describe('human approval lifecycle (responses and stored rows)', () => {
  let t: TestRuntime;
  let key: string;
  let agentId: string;
  const approvers: Record<string, string> = {};
  /** Every body an approval route answered, to prove no token ever reached a human. */
  const approvalBodies: unknown[] = [];
  const tokens: string[] = [];

  /** A user created through the service, with a personal API token. */
  async function approver(name: string, role: UserRole = 'approver') {
    const { user } = await t.runtime.users.create({ name, role }, ADMIN);
    const { token } = await t.runtime.users.createToken(user.id, 'tests', ADMIN);
    approvers[name] = token;
    return token;
  }

  async function human(method: string, path: string, name: string, body?: unknown) {
    const response = await t.call(method, path, { key: approvers[name], body });
    approvalBodies.push(response.body);
    return response;
  }

  async function requestPending(body: Record<string, unknown>) {
    const response = await t.call('POST', '/api/v1/permissions/request', { key, body });
    assert.equal(response.status, 202);
    assert.equal(response.body.data.status, 'pending');
    return response.body.data.id as string;
  }

  async function agentGet(id: string) {
    const response = await t.call('GET', `/api/v1/permissions/${id}`, { key });
    assert.equal(response.status, 200);
    if (response.body.data.token) tokens.push(response.body.data.token);
    return response.body.data;
  }

  const events = async (id: string) =>
    (await t.runtime.store.listAudit({ permissionId: id, limit: 100 })).map((e) => e.event);

  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    ({ apiKey: key, id: agentId } = await t.agent('payer-bot'));
    await Promise.all(['alice', 'bob', 'carol'].map((name) => approver(name)));
    await approver('root', 'admin');
  });
  after(() => t.close());

  it('pending → listed for approvers → approved → token delivered once → verify → use → reuse refused', async () => {
    const id = await requestPending({
      action: 'bank.transfer',
      resource: 'account:landlord',
      scope: { max_amount: 500 },
      context: { reason: 'rent for June' },
      ttl: 300,
    });
    const stored = await t.runtime.store.getPermission(id);
    assert.equal(stored?.status, 'pending');
    assert.equal(stored?.tokenHash, null);

    const inbox = await human('GET', '/api/v1/approvals?status=pending', 'alice');
    assert.equal(inbox.status, 200);
    const item = inbox.body.data.find((a: { permission: { id: string } }) => a.permission.id === id);
    assert.ok(item, 'the pending request is in the inbox');
    assert.deepEqual(item.agent, { id: agentId, name: 'payer-bot' });
    assert.equal(item.permission.action, 'bank.transfer');
    assert.equal(item.permission.resource, 'account:landlord');
    assert.deepEqual(item.permission.scope, { max_amount: 500 }, 'the scope approval would grant');
    assert.deepEqual(item.permission.context, { reason: 'rent for June' });
    assert.equal(item.permission.policy.rule, 'payments');
    assert.deepEqual(item.votes, []);
    assert.equal(item.approvalsRequired, 1);
    const one = await human('GET', `/api/v1/approvals/${id}`, 'alice');
    assert.deepEqual(one.body.data, item);

    const approve = await human('POST', `/api/v1/approvals/${id}/approve`, 'alice', {});
    assert.equal(approve.status, 200);
    assert.equal(approve.body.data.outcome, 'approved');
    assert.equal(approve.body.data.approval.permission.status, 'approved');
    assert.equal(approve.body.data.approval.votes[0].user, 'alice');
    assert.equal(approve.body.data.approval.votes[0].decision, 'approve');
    assert.equal(
      approve.body.data.approval.permission.expiresAt,
      new Date(t.clock.now() + 300_000).toISOString(),
    );

    const decided = await t.runtime.store.getPermission(id);
    assert.equal(decided?.status, 'approved');
    assert.equal(decided?.tokenHash, null, 'no token exists until the agent reads the decision');
    assert.equal(decided?.decidedAt, t.clock.now());

    t.clock.advance(1000);
    const first = await agentGet(id);
    assert.equal(first.status, 'approved');
    assert.match(first.token, /^otp_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(first.scope, { max_amount: 500 });
    const delivered = await t.runtime.store.getPermission(id);
    assert.equal(delivered?.tokenHash, t.runtime.hasher.hash(first.token), 'only the hash is stored');
    assert.equal(delivered?.expiresAt, decided?.expiresAt, 'the lifetime started at approval');

    const second = await agentGet(id);
    assert.equal(second.status, 'approved');
    assert.equal(second.token, undefined, 'a second read never carries the token');

    const verify = await t.call('POST', `/api/v1/permissions/${id}/verify`, {
      key,
      body: { token: first.token },
    });
    assert.equal(verify.body.data.valid, true);
    assert.deepEqual(verify.body.data.scope, { max_amount: 500 });
    const use = await t.call('POST', `/api/v1/permissions/${id}/use`, { key, body: { token: first.token } });
    assert.equal(use.status, 200);
    assert.equal(use.body.data.status, 'used');
    const reuse = await t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: { token: first.token },
    });
    assert.equal(reuse.status, 409);
    assert.equal(reuse.body.error.code, 'TOKEN_USED');
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'used');

    assert.deepEqual(await events(id), [
      'permission.requested',
      'approval.vote',
      'permission.approved',
      'token.delivered',
      'token.verified',
      'token.used',
      'token.use_refused',
    ]);
    const audit = await t.runtime.store.listAudit({ permissionId: id, limit: 100 });
    const alice = await t.runtime.users.find('alice');
    assert.deepEqual(audit[1]?.actor, { type: 'user', id: alice.id });
    assert.deepEqual(audit[2]?.actor, { type: 'user', id: alice.id });
    assert.deepEqual(audit[3]?.actor, { type: 'agent', id: agentId });

    const after = await human('GET', `/api/v1/approvals/${id}`, 'alice');
    assert.equal(after.body.data.permission.status, 'used');
  });

  it('an approver narrows scope and ttl; the token carries exactly that', async () => {
    const id = await requestPending({ action: 'bank.transfer', scope: { max_amount: 500 }, ttl: 600 });
    const approve = await human('POST', `/api/v1/approvals/${id}/approve`, 'bob', {
      scope: { max_amount: 100 },
      ttl: 60,
      reason: 'only the deposit',
    });
    assert.equal(approve.status, 200);
    assert.equal(approve.body.data.outcome, 'approved');
    assert.equal(approve.body.data.approval.permission.scope.max_amount, 100);
    const expiresAt = new Date(t.clock.now() + 60_000).toISOString();

    const { token, scope } = await agentGet(id);
    assert.match(token, TOKEN);
    assert.equal(scope.max_amount, 100);
    const verify = await t.call('POST', `/api/v1/permissions/${id}/verify`, { key, body: { token } });
    assert.equal(verify.body.data.valid, true);
    assert.equal(verify.body.data.scope.max_amount, 100);
    assert.equal(verify.body.data.expiresAt, expiresAt);
    assert.equal(verify.body.data.usesRemaining, 1);
    const stored = await t.runtime.store.getPermission(id);
    assert.equal(stored?.grantedScope?.max_amount, 100);
    assert.deepEqual(stored?.requestedScope, { max_amount: 500 }, 'the request itself is kept as asked');
    assert.equal(stored?.expiresAt, t.clock.now() + 60_000);
    assert.deepEqual(approve.body.data.clamped, [], 'a narrowing edit is not clamped');
  });

  it('the granted lifetime, not the requested one, is what every view shows', async () => {
    const id = await requestPending({ action: 'bank.transfer', scope: { max_amount: 5 }, ttl: 300 });
    const approve = await human('POST', `/api/v1/approvals/${id}/approve`, 'bob', { ttl: 120 });
    assert.equal(approve.body.data.outcome, 'approved');
    assert.equal(approve.body.data.approval.permission.ttl, 120);
    const decidedAt = Date.parse(approve.body.data.approval.permission.decidedAt);
    assert.equal(Date.parse(approve.body.data.approval.permission.expiresAt), decidedAt + 120_000);
    const shown = await human('GET', `/api/v1/approvals/${id}`, 'alice');
    assert.equal(shown.body.data.permission.ttl, 120);
    assert.equal((await agentGet(id)).ttl, 120);
    assert.equal((await t.runtime.store.getPermission(id))?.ttlSeconds, 120);
    // The requested lifetime stays on record in the audit.
    const [approved] = await t.runtime.store.listAudit({
      permissionId: id,
      event: 'permission.approved',
      limit: 5,
    });
    assert.equal(approved?.details.ttl, 120);
    assert.equal(approved?.details.requestedTtl, 300);
  });

  it('an approver cannot widen: a larger amount or more uses grant what was asked', async () => {
    const wider = await requestPending({ action: 'bank.transfer', scope: { max_amount: 500 } });
    const approve = await human('POST', `/api/v1/approvals/${wider}/approve`, 'bob', {
      scope: { max_amount: 10000 },
    });
    assert.equal(approve.body.data.outcome, 'approved');
    assert.equal(approve.body.data.approval.permission.scope.max_amount, 500);
    // Said, not silent: the answer and both audit entries show the grant and what was clamped.
    const clamp = { key: 'max_amount', asked: 10000, granted: 500 };
    assert.deepEqual(approve.body.data.clamped, [clamp]);
    const audit = await t.runtime.store.listAudit({ permissionId: wider, limit: 10 });
    const vote = audit.find((e) => e.event === 'approval.vote');
    assert.deepEqual(vote?.details.scope, { max_amount: 500, max_uses: 1 }, 'the vote shows the grant');
    assert.deepEqual(vote?.details.clamped, [clamp]);
    const approvedEntry = audit.find((e) => e.event === 'permission.approved');
    assert.deepEqual(approvedEntry?.details.scope, { max_amount: 500, max_uses: 1 });
    assert.deepEqual(approvedEntry?.details.clamped, [clamp]);
    const granted = await agentGet(wider);
    assert.equal(granted.scope.max_amount, 500);
    assert.equal((await t.runtime.store.getPermission(wider))?.grantedScope?.max_amount, 500);

    // A grant without a count means one use; an edit adding max_uses must not lift that.
    const more = await requestPending({ action: 'bank.transfer', scope: { max_amount: 50 } });
    const uses = await human('POST', `/api/v1/approvals/${more}/approve`, 'bob', { scope: { max_uses: 3 } });
    assert.equal(uses.body.data.outcome, 'approved');
    assert.deepEqual(uses.body.data.clamped, [{ key: 'max_uses', asked: 3, granted: 1 }]);
    const { token, usesRemaining } = await agentGet(more);
    assert.equal(usesRemaining, 1);
    assert.equal((await t.runtime.store.getPermission(more))?.usesRemaining, 1);
    const use = await t.call('POST', `/api/v1/permissions/${more}/use`, { key, body: { token } });
    assert.equal(use.body.data.status, 'used');
  });

  it('a ttl longer than requested is refused (400) and records nothing', async () => {
    const id = await requestPending({ action: 'bank.transfer', scope: { max_amount: 5 }, ttl: 300 });
    const longer = await human('POST', `/api/v1/approvals/${id}/approve`, 'bob', { ttl: 600 });
    assert.equal(longer.status, 400);
    assert.equal(longer.body.error.code, 'VALIDATION_ERROR');
    assert.equal(longer.body.error.details.field, 'ttl');
    const tooShort = await human('POST', `/api/v1/approvals/${id}/approve`, 'bob', { ttl: 10 });
    assert.equal(tooShort.status, 400);
    const badScope = await human('POST', `/api/v1/approvals/${id}/approve`, 'bob', {
      scope: { max_amount: -1 },
    });
    assert.equal(badScope.status, 400);
    assert.equal(badScope.body.error.code, 'VALIDATION_ERROR');
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'pending');
    assert.deepEqual(await t.runtime.store.listApprovalVotes(id), []);
    assert.deepEqual(await events(id), ['permission.requested']);
    // The refused attempts did not use up bob's vote.
    const ok = await human('POST', `/api/v1/approvals/${id}/approve`, 'bob', { ttl: 300 });
    assert.equal(ok.body.data.outcome, 'approved');
  });

  it('deny with a reason: the agent sees denied and the reason, and never a token', async () => {
    const id = await requestPending({ action: 'bank.transfer', scope: { max_amount: 900 } });
    const deny = await human('POST', `/api/v1/approvals/${id}/deny`, 'carol', { reason: 'not this month' });
    assert.equal(deny.status, 200);
    assert.equal(deny.body.data.outcome, 'denied');
    assert.equal(deny.body.data.approval.permission.status, 'denied');
    assert.equal(deny.body.data.approval.votes[0].reason, 'not this month');

    const seen = await agentGet(id);
    assert.equal(seen.status, 'denied');
    assert.match(seen.reason, /not this month/);
    assert.match(seen.reason, /carol/);
    assert.equal(seen.token, undefined);
    assert.equal((await agentGet(id)).token, undefined);
    const stored = await t.runtime.store.getPermission(id);
    assert.equal(stored?.status, 'denied');
    assert.equal(stored?.tokenHash, null);
    assert.deepEqual(await events(id), ['permission.requested', 'approval.vote', 'permission.denied']);

    const late = await human('POST', `/api/v1/approvals/${id}/approve`, 'alice', {});
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'INVALID_STATE');
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'denied');
    assert.equal((await t.runtime.store.listApprovalVotes(id)).length, 1);
  });

  it('expiry: the sweeper marks a pending request expired; approving it then is 409', async () => {
    const id = await requestPending({ action: 'bank.transfer', scope: { max_amount: 1 } });
    const atDeadline = await requestPending({ action: 'bank.transfer', scope: { max_amount: 2 } });
    t.clock.advance(600_000 - 1);
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'pending');
    t.clock.advance(1);
    // Exactly at the deadline no vote counts any more.
    const tooLate = await human('POST', `/api/v1/approvals/${atDeadline}/approve`, 'alice', {});
    assert.equal(tooLate.status, 409);
    assert.equal(tooLate.body.error.code, 'INVALID_STATE');

    t.clock.advance(1);
    assert.ok((await t.runtime.permissions.expireDue()) >= 1);
    const stored = await t.runtime.store.getPermission(id);
    assert.equal(stored?.status, 'expired');
    assert.equal(stored?.tokenHash, null);
    assert.deepEqual(await events(id), ['permission.requested', 'permission.expired']);

    const approve = await human('POST', `/api/v1/approvals/${id}/approve`, 'alice', {});
    assert.equal(approve.status, 409);
    assert.equal(approve.body.error.code, 'INVALID_STATE');
    assert.equal(approve.body.error.details.status, 'expired');
    assert.deepEqual(await t.runtime.store.listApprovalVotes(id), []);
    const seen = await agentGet(id);
    assert.equal(seen.status, 'expired');
    assert.equal(seen.token, undefined);
    const inbox = await human('GET', '/api/v1/approvals', 'alice');
    assert.ok(!inbox.body.data.some((a: { permission: { id: string } }) => a.permission.id === id));
    const expired = await human('GET', '/api/v1/approvals?status=expired', 'alice');
    assert.ok(expired.body.data.some((a: { permission: { id: string } }) => a.permission.id === id));
  });

  it('quorum of two: one vote is recorded, the same user cannot count twice, a second approver approves', async () => {
    const id = await requestPending({ action: 'bank.wire', scope: { max_amount: 7000 } });
    const first = await human('POST', `/api/v1/approvals/${id}/approve`, 'alice', {});
    assert.equal(first.status, 200);
    assert.equal(first.body.data.outcome, 'vote_recorded');
    assert.equal(first.body.data.approval.permission.status, 'pending');
    assert.equal(first.body.data.approval.approvalsRequired, 2);
    assert.equal((await agentGet(id)).status, 'pending');

    const again = await human('POST', `/api/v1/approvals/${id}/approve`, 'alice', {});
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'CONFLICT');
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'pending');
    assert.equal((await t.runtime.store.listApprovalVotes(id)).length, 1);

    const inbox = await human('GET', '/api/v1/approvals?status=pending', 'bob');
    const item = inbox.body.data.find((a: { permission: { id: string } }) => a.permission.id === id);
    assert.deepEqual(
      item.votes.map((v: { user: string; decision: string }) => [v.user, v.decision]),
      [['alice', 'approve']],
    );

    const second = await human('POST', `/api/v1/approvals/${id}/approve`, 'bob', {
      scope: { max_amount: 5000 },
    });
    assert.equal(second.body.data.outcome, 'approved');
    assert.equal(second.body.data.approval.votes.length, 2);
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'approved');
    const approved = await t.runtime.store.listAudit({
      permissionId: id,
      event: 'permission.approved',
      limit: 5,
    });
    assert.equal(approved.length, 1);
    assert.deepEqual([...((approved[0]?.details.by ?? []) as string[])].sort(), ['alice', 'bob']);
    const { token, scope } = await agentGet(id);
    assert.match(token, TOKEN);
    assert.equal(scope.max_amount, 5000, "bob's narrowing applies");

    const third = await human('POST', `/api/v1/approvals/${id}/approve`, 'carol', {});
    assert.equal(third.status, 409, 'decided: a late vote is refused');
  });

  it('quorum of two: one deny after one approve denies', async () => {
    const id = await requestPending({ action: 'bank.wire', scope: { max_amount: 7000 } });
    const first = await human('POST', `/api/v1/approvals/${id}/approve`, 'alice', {});
    assert.equal(first.body.data.outcome, 'vote_recorded');
    const deny = await human('POST', `/api/v1/approvals/${id}/deny`, 'carol', { reason: 'too much' });
    assert.equal(deny.body.data.outcome, 'denied');
    const seen = await agentGet(id);
    assert.equal(seen.status, 'denied');
    assert.equal(seen.token, undefined);
    const late = await human('POST', `/api/v1/approvals/${id}/approve`, 'bob', {});
    assert.equal(late.status, 409);
    assert.deepEqual(await events(id), [
      'permission.requested',
      'approval.vote',
      'approval.vote',
      'permission.denied',
    ]);
  });

  it('an admin may decide; unknown or malformed ids are 404 / 400', async () => {
    const id = await requestPending({ action: 'bank.transfer', scope: { max_amount: 3 } });
    const approve = await human('POST', `/api/v1/approvals/${id}/approve`, 'root');
    assert.equal(approve.status, 200, 'an approve without a body');
    assert.equal(approve.body.data.outcome, 'approved');
    const unknown = await human('POST', '/api/v1/approvals/perm_doesnotexist0000/approve', 'root', {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
    const malformed = await human('GET', '/api/v1/approvals/not-an-id', 'root');
    assert.equal(malformed.status, 400);
    const extra = await human('POST', `/api/v1/approvals/${id}/deny`, 'root', { reason: 'x', token: 'y' });
    assert.equal(extra.status, 400, 'unknown fields are refused');
  });

  it('no token in any approval response, in the audit log or in the logs; the chain is intact', async () => {
    assert.ok(tokens.length >= 5, 'the tests above delivered tokens');
    const approvalsText = JSON.stringify(approvalBodies);
    const entries = await t.runtime.store.listAudit({ limit: 10_000 });
    const auditText = JSON.stringify(entries);
    const logs = t.logs();
    assert.ok(logs.length > 0);
    for (const token of tokens) {
      assert.ok(!approvalsText.includes(token));
      assert.ok(!auditText.includes(token));
      assert.ok(!logs.includes(token));
    }
    for (const [name, text] of Object.entries({ approvalsText, auditText, logs })) {
      const leak = /(?:otp|ak|uat)_[A-Za-z0-9_-]{43}|"tokenHash"|token_hash/.exec(text);
      assert.equal(leak, null, `${name} leaks ${leak?.[0]}`);
    }
    assert.ok(
      approvalBodies.every(
        (b) => !JSON.stringify((b as { data?: unknown }).data ?? null).includes('"token"'),
      ),
      'no approval response carries a token field',
    );
    const verifier = createChainVerifier();
    for (const entry of entries) verifier.add(entry);
    assert.equal(verifier.result().ok, true);
  });
});
