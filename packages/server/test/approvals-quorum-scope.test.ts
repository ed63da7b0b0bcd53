import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Actor, AgentOtpError } from '@agent-otp/core';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: one approver
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  approvalTimeout: 600
- name: two approvers
  conditions: { action: { equals: bank.wire } }
  action: require_approval
  approvals: 2
  approvalTimeout: 600
- name: three approvers
  conditions: { action: { equals: bank.sweep } }
  action: require_approval
  approvals: 3
  approvalTimeout: 600
`;

const HOST: Actor = { type: 'system', id: 'cli:test' };

describe('quorum narrowing and who may mint credentials, through the API', () => {
  let t: TestRuntime;
  let key: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    ({ apiKey: key } = await t.agent('treasurer'));
    for (const name of ['bob', 'carol', 'dave']) {
      const { user } = await t.runtime.users.create({ name, role: 'approver' }, HOST);
      tokens[name] = (await t.runtime.users.createToken(user.id, 'tests', HOST)).token;
    }
  });
  after(() => t.close());

  async function pending(action: string, scope: Record<string, unknown> = {}) {
    const response = await t.call('POST', '/api/v1/permissions/request', { key, body: { action, scope } });
    assert.equal(response.status, 202);
    return response.body.data.id as string;
  }
  const approve = (id: string, who: string, body: unknown = {}) =>
    t.call('POST', `/api/v1/approvals/${id}/approve`, { key: tokens[who], body });
  const granted = async (id: string) => (await t.runtime.store.getPermission(id))?.grantedScope;

  it('finding 8: Bob narrows "account" to savings-only, Carol asks for ANY → 409 naming key and value', async () => {
    const id = await pending('bank.wire', { max_amount: 1000 });
    const bob = await approve(id, 'bob', { scope: { account: 'savings-only' } });
    assert.equal(bob.body.data.outcome, 'vote_recorded');
    const carol = await approve(id, 'carol', { scope: { account: 'ANY' } });
    assert.equal(carol.status, 409);
    assert.equal(carol.body.error.code, 'CONFLICT');
    assert.match(carol.body.error.message, /scope\.account is already "savings-only" \(set by bob\)/);
    assert.equal(carol.body.error.details.key, 'account');
    assert.equal(carol.body.error.details.current, 'savings-only');
    assert.equal((await t.runtime.store.listApprovalVotes(id)).length, 1, "carol's vote is not recorded");
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'pending');

    // Carol may approve without touching it (or agreeing); the grant keeps Bob's value.
    const again = await approve(id, 'carol', { scope: { max_amount: 800 } });
    assert.equal(again.body.data.outcome, 'approved');
    assert.deepEqual(await granted(id), { max_amount: 800, max_uses: 1, account: 'savings-only' });
  });

  it('a later approver asking more than an earlier one is told what the quorum grants', async () => {
    const id = await pending('bank.wire', { max_amount: 1000 });
    const bob = await approve(id, 'bob', { scope: { max_amount: 300 }, ttl: 120 });
    assert.equal(bob.body.data.outcome, 'vote_recorded');
    assert.deepEqual(bob.body.data.clamped, []);
    const carol = await approve(id, 'carol', { scope: { max_amount: 600 } });
    assert.equal(carol.body.data.outcome, 'approved');
    assert.deepEqual(carol.body.data.clamped, [{ key: 'max_amount', asked: 600, granted: 300 }]);
    assert.equal(carol.body.data.approval.permission.ttl, 120, "bob's shorter lifetime is the granted one");
    assert.deepEqual(await granted(id), { max_amount: 300, max_uses: 1 });
  });

  it('finding 8: three approvers — interpreted keys end at the strictest, uninterpreted agree or are refused', async () => {
    const id = await pending('bank.sweep', { max_amount: 1000, allowed_regions: ['eu', 'us', 'uk'] });
    await approve(id, 'bob', { scope: { max_amount: 500, allowed_regions: ['eu', 'us'], account: 'ops' } });
    const widen = await approve(id, 'carol', { scope: { max_amount: 900, account: 'ANY' } });
    assert.equal(widen.status, 409);
    await approve(id, 'carol', { scope: { max_amount: 900, account: 'ops', memo_pattern: '^Sweep' } });
    const last = await approve(id, 'dave', { scope: { max_amount: 700, allowed_regions: ['us', 'uk'] } });
    assert.equal(last.body.data.outcome, 'approved');
    assert.deepEqual(await granted(id), {
      max_amount: 500,
      allowed_regions: ['us'],
      max_uses: 1,
      account: 'ops',
      memo_pattern: '^Sweep',
    });
    const [entry] = await t.runtime.store.listAudit({
      permissionId: id,
      event: 'permission.approved',
      limit: 1,
    });
    assert.deepEqual([...((entry?.details.by ?? []) as string[])].sort(), ['bob', 'carol', 'dave']);
  });

  it('finding 8: a single approver may add an uninterpreted key but not change the requested value', async () => {
    const id = await pending('bank.transfer', { account: 'savings' });
    const changed = await approve(id, 'bob', { scope: { account: 'checking' } });
    assert.equal(changed.status, 409);
    assert.match(changed.body.error.message, /already "savings" \(set by the request\)/);
    const kept = await approve(id, 'bob', { scope: { account: 'savings', memo: 'rent' } });
    assert.equal(kept.body.data.outcome, 'approved');
    assert.deepEqual(await granted(id), { account: 'savings', max_uses: 1, memo: 'rent' });
  });

  it('finding 7: nobody but the host mints a token for another user; the audit names who did', async () => {
    const bob = await t.runtime.users.find('bob');
    const { user: root } = await t.runtime.users.create({ name: 'root', role: 'admin' }, HOST);
    for (const actor of [
      { type: 'user', id: root.id },
      { type: 'agent', id: 'agt_x' },
    ] as Actor[]) {
      await assert.rejects(t.runtime.users.createToken(bob.id, 'puppet', actor), (error: unknown) => {
        assert.ok(error instanceof AgentOtpError);
        assert.equal(error.code, 'FORBIDDEN');
        return true;
      });
    }
    assert.equal((await t.runtime.users.listTokens(bob.id)).length, 1, 'only the one the host made');
    const own = await t.runtime.users.createToken(root.id, 'mine', { type: 'user', id: root.id });
    assert.equal((await t.runtime.users.authenticateToken(own.token))?.id, root.id);
    const entries = await t.runtime.store.listAudit({ event: 'user.token_created', limit: 100 });
    const byHost = entries.find((e) => e.details.userId === bob.id);
    assert.deepEqual(byHost?.details.mintedBy, HOST);
    assert.equal(byHost?.details.userName, 'bob');
    const bySelf = entries.find((e) => e.details.userId === root.id);
    assert.deepEqual(bySelf?.details.mintedBy, { type: 'user', id: root.id });
  });
});
