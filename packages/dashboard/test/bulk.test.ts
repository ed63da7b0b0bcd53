import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Agent, AgentOtpError, type User } from '@agent-otp/core';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

const BULK_POLICY = `
- name: "Payroll is high risk"
  conditions: { action: { equals: "bank.transfer" } }
  action: require_approval
  approvalTimeout: 600
  risk: high
- name: "Email is medium risk"
  conditions: { action: { equals: "email.send" } }
  action: require_approval
  approvalTimeout: 600
  risk: medium
- name: "Team lunch needs two"
  conditions: { action: { equals: "lunch.order" } }
  action: require_approval
  approvalTimeout: 600
  approvals: 2
  risk: low
- name: "Coffee is low risk"
  conditions: { action: { equals: "card.purchase" } }
  action: require_approval
  approvalTimeout: 600
  risk: low
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

const plain = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');

describe('bulk decisions in the inbox', () => {
  let dash: DashboardRuntime;
  let agent: Agent;
  let admin: Awaited<ReturnType<DashboardRuntime['loginAdmin']>>;
  before(async () => {
    dash = await createDashboardRuntime({ policy: BULK_POLICY });
    agent = (await dash.agent('office-bot')).agent;
    admin = await dash.loginAdmin();
  });
  after(() => dash.close());

  const ask = async (action: string) => {
    const outcome = await dash.runtime.permissions.request(agent, {
      action,
      resource: 'card:office',
      scope: { max_amount: 5, currency: 'USD' },
      context: {},
    });
    assert.equal(outcome.status, 'pending', action);
    return outcome.permission.id;
  };
  const status = async (id: string) => (await dash.runtime.store.getPermission(id))?.status;
  const bulk = (form: Record<string, string | string[]>, as = admin) =>
    dash.request('POST', '/requests/bulk', { as, form: { _csrf: as.csrf, ...form } });
  const resultOf = (html: string, id: string) =>
    new RegExp(`data-result="([a-z_]+)" data-permission="${id}"`).exec(html)?.[1];
  const audited = async (id: string, event: string) =>
    (await dash.runtime.store.listAudit({ permissionId: id, event, limit: 10 })).length;
  const userNamed = async (name: string) =>
    (await dash.runtime.users.list()).find((u) => u.name === name) as User;

  it('offers a checkbox on low-risk requests only, tied to the CSRF-protected bulk form', async () => {
    const coffee = await ask('card.purchase');
    const payroll = await ask('bank.transfer');
    const email = await ask('email.send');
    const inbox = (await dash.request('GET', '/', { as: admin })).text;
    assert.match(
      inbox,
      /<form id="bulk-form" method="post" action="\/requests\/bulk"[^>]*><input type="hidden" name="_csrf"/,
    );
    assert.match(inbox, new RegExp(`name="id" value="${coffee}" form="bulk-form"`));
    assert.doesNotMatch(inbox, new RegExp(`name="id" value="${payroll}"`));
    assert.doesNotMatch(inbox, new RegExp(`name="id" value="${email}"`));
    const viewer = await dash.user('vic', 'viewer');
    const theirs = (await dash.request('GET', '/', { as: viewer })).text;
    assert.doesNotMatch(theirs, /bulk-form/);
    await bulk({ decision: 'deny', id: [coffee] });
    await dash.runtime.approvals.deny(await userNamed('admin'), payroll, 'cleanup');
    await dash.runtime.approvals.deny(await userNamed('admin'), email, 'cleanup');
  });

  it('approves each low-risk request on its own and reports every other outcome', async () => {
    const low = [await ask('card.purchase'), await ask('card.purchase'), await ask('card.purchase')];
    const decided = await ask('card.purchase');
    await dash.runtime.approvals.deny(await userNamed('admin'), decided, 'not today');
    const high = await ask('bank.transfer');
    const medium = await ask('email.send');
    const quorum = await ask('lunch.order');
    const ids = [
      low[0],
      high,
      decided,
      low[1],
      medium,
      quorum,
      'perm_doesnotexist0000000',
      low[2],
    ] as string[];
    const res = await bulk({ decision: 'approve', id: ids, reason: 'routine' });
    assert.equal(res.status, 200);
    assert.match(
      plain(res.text),
      /Approved 3, 1 recorded as your vote \(more approvers needed\), 1 already decided, 2 refused: not low risk, 1 not found\./,
    );
    for (const id of low) {
      assert.equal(await status(id), 'approved');
      assert.equal(resultOf(res.text, id), 'done');
      assert.equal(await audited(id, 'permission.approved'), 1, 'audited as a single approval');
      assert.equal(await audited(id, 'approval.vote'), 1);
    }
    assert.equal(resultOf(res.text, high), 'not_low_risk');
    assert.equal(resultOf(res.text, medium), 'not_low_risk');
    assert.match(plain(res.text), /high risk: only low-risk requests are decided in bulk/);
    assert.equal(await status(high), 'pending', 'the server never bulk-approves a high-risk request');
    assert.equal(await status(medium), 'pending');
    assert.equal(await audited(high, 'approval.vote'), 0);
    assert.equal(resultOf(res.text, decided), 'already');
    assert.match(plain(res.text), /card\.purchase — already denied/);
    assert.equal(resultOf(res.text, quorum), 'vote_recorded');
    assert.equal(await status(quorum), 'pending');
    assert.match(plain(res.text), /your vote is recorded; 1 of 2 approvals/);
    assert.equal(resultOf(res.text, 'perm_doesnotexist0000000'), 'not_found');
    const [vote] = await dash.runtime.store.listApprovalVotes(low[0] as string);
    assert.equal(vote?.reason, 'routine');
    await dash.runtime.approvals.deny(await userNamed('admin'), high, 'cleanup').catch(() => {});
    await dash.runtime.approvals.deny(await userNamed('admin'), medium, 'cleanup').catch(() => {});
    await dash.user('quinn', 'approver');
    await dash.runtime.approvals.deny(await userNamed('quinn'), quorum, 'cleanup');
  });

  it('reports a request that expired before the bulk post, and decides the others', async () => {
    const old = await ask('card.purchase');
    dash.clock.advance(601_000);
    const fresh = await ask('card.purchase');
    const res = await bulk({ decision: 'approve', id: [old, fresh] });
    assert.match(plain(res.text), /Approved 1, 1 already decided\./);
    assert.match(plain(res.text), /card\.purchase — already expired/);
    assert.equal(await status(old), 'expired');
    assert.equal(await status(fresh), 'approved');
  });

  it('denies in bulk with the reason, and a second post finds them decided', async () => {
    const ids = [await ask('card.purchase'), await ask('card.purchase')];
    const res = await bulk({ decision: 'deny', id: ids, reason: 'over budget' });
    assert.match(plain(res.text), /Denied 2\./);
    for (const id of ids) {
      const p = await dash.runtime.store.getPermission(id);
      assert.equal(p?.status, 'denied');
      assert.match(p?.reason ?? '', /over budget/);
      assert.equal(await audited(id, 'permission.denied'), 1);
    }
    const again = await bulk({ decision: 'deny', id: ids });
    assert.match(plain(again.text), /Denied 0, 2 already decided\./);
  });

  it('refuses a post without CSRF, from a viewer, without a selection or a decision, or too large', async () => {
    const id = await ask('card.purchase');
    const noCsrf = await dash.request('POST', '/requests/bulk', {
      as: admin,
      form: { decision: 'approve', id: [id] },
    });
    assert.equal(noCsrf.status, 403);
    const viewer = await dash.user('vera', 'viewer');
    const asViewer = await bulk({ decision: 'approve', id: [id] }, viewer);
    assert.equal(asViewer.status, 403);
    const none = await bulk({ decision: 'approve' });
    assert.equal(none.status, 400);
    assert.match(none.text, /Select at least one low-risk request first/);
    const what = await bulk({ decision: 'maybe', id: [id] });
    assert.equal(what.status, 400);
    assert.match(what.text, /Choose Approve selected or Deny selected/);
    const many = await bulk({
      decision: 'approve',
      id: Array.from({ length: 101 }, (_, i) => `perm_${i}`),
    });
    assert.equal(many.status, 400);
    assert.match(many.text, /at most 100 requests; 101 were selected/);
    assert.equal(await status(id), 'pending', 'nothing was decided');
    await bulk({ decision: 'deny', id: [id] });
  });

  it('races with another approver: each request has exactly one outcome, and the others go through', async () => {
    await dash.user('bob', 'approver');
    const bob = await userNamed('bob');
    const denyAsBob = (id: string) =>
      dash.runtime.approvals.deny(bob, id, 'no').then(
        (outcome) => outcome.outcome as string,
        (error: unknown) => (error instanceof AgentOtpError ? error.code : 'crash'),
      );
    const finals: string[] = [];
    for (let round = 0; round < 6; round++) {
      const ids = [await ask('card.purchase'), await ask('card.purchase'), await ask('card.purchase')];
      const contested = ids[1] as string;
      // Bob denies the middle request: at once (racing the whole post), the moment the bulk
      // approval's vote on it is recorded (between its vote and its compare-and-set), or once
      // it is approved.
      const mode = (['at-once', 'after-vote', 'after-approval'] as const)[round % 3];
      let bobs: Promise<string> | null = mode === 'at-once' ? denyAsBob(contested) : null;
      const stop = dash.runtime.events.subscribeAll((change) => {
        if (bobs || change.permissionId !== contested) return;
        if (
          (mode === 'after-vote' && change.kind === 'vote') ||
          (mode === 'after-approval' && change.kind === 'approved')
        )
          bobs = denyAsBob(contested);
      });
      const res = await bulk({ decision: 'approve', id: ids });
      stop();
      const bobsOutcome = await (bobs ?? Promise.resolve('never ran'));
      assert.equal(res.status, 200);
      assert.notEqual(bobsOutcome, 'crash');
      const final = (await status(contested)) as string;
      finals.push(final);
      const approvedEntries = await audited(contested, 'permission.approved');
      const deniedEntries = await audited(contested, 'permission.denied');
      assert.equal(approvedEntries + deniedEntries, 1, `round ${round} (${mode}): exactly one decision`);
      if (final === 'approved') {
        assert.equal(resultOf(res.text, contested), 'done');
        assert.notEqual(bobsOutcome, 'denied');
      } else {
        assert.equal(final, 'denied', `round ${round} (${mode})`);
        assert.equal(resultOf(res.text, contested), 'already', 'the report says another decision won');
        assert.equal(bobsOutcome, 'denied');
      }
      if (mode === 'after-approval') assert.equal(bobsOutcome, 'INVALID_STATE');
      for (const id of [ids[0], ids[2]] as string[]) {
        assert.equal(await status(id), 'approved', 'the others are approved whatever happened to one');
      }
    }
    assert.ok(finals.includes('approved'), `outcomes ${finals.join(', ')}`);
  });
});
