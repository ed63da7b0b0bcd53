import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChainVerifier } from '@agent-otp/core';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: file reads
  conditions:
    action: { equals: file.read }
    scope.size_limit: { lessThan: 1048576 }
  action: auto_approve
  scopeTemplate: { max_size: 1048576, allowed_extensions: [".txt", ".md", ".json"] }
- name: emails
  conditions: { action: { equals: gmail.send } }
  action: auto_approve
  scopeTemplate: { max_emails: 3 }
- name: money
  conditions: { action: { startsWith: bank. } }
  action: require_approval
  priority: 100
  approvals: 2
  approvalTimeout: 600
- name: deletes
  conditions: { action: { equals: file.delete } }
  action: deny
`;

describe('permission lifecycle (responses and stored rows)', () => {
  let t: TestRuntime;
  let key: string;
  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    key = (await t.agent('invoice-bot')).apiKey;
  });
  after(() => t.close());

  it('auto-approves, verifies, uses once, then refuses reuse', async () => {
    const request = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'file.read', resource: 'file:/data/notes.txt', scope: { size_limit: 1000 }, ttl: 120 },
    });
    assert.equal(request.status, 201);
    const { id, token, scope, usesRemaining, expiresAt, policy } = request.body.data;
    assert.match(id, /^perm_/);
    assert.match(token, /^otp_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(scope, {
      size_limit: 1000,
      max_size: 1048576,
      allowed_extensions: ['.txt', '.md', '.json'],
    });
    assert.equal(usesRemaining, 1);
    assert.equal(expiresAt, new Date(t.clock.now() + 120_000).toISOString());
    assert.equal(policy.rule, 'file reads');

    const stored = await t.runtime.store.getPermission(id);
    assert.equal(stored?.status, 'approved');
    assert.notEqual(stored?.tokenHash, token, 'the token is stored only as a hash');
    assert.ok(!JSON.stringify(stored).includes(token));

    const verify = await t.call('POST', `/api/v1/permissions/${id}/verify`, { key, body: { token } });
    assert.equal(verify.status, 200);
    assert.equal(verify.body.data.valid, true);
    assert.deepEqual(verify.body.data.unenforced, []);

    const use = await t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: { token, actionDetails: { path: '/data/notes.txt', size: 200 } },
    });
    assert.equal(use.status, 200);
    assert.deepEqual(use.body.data, { success: true, usesRemaining: 0, status: 'used', unchecked: [] });
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'used');

    const reuse = await t.call('POST', `/api/v1/permissions/${id}/use`, { key, body: { token } });
    assert.equal(reuse.status, 409);
    assert.equal(reuse.body.error.code, 'TOKEN_USED');
    const verifyAfter = await t.call('POST', `/api/v1/permissions/${id}/verify`, { key, body: { token } });
    assert.deepEqual(verifyAfter.body.data, { valid: false, reason: 'TOKEN_USED' });

    const events = (await t.runtime.store.listAudit({ permissionId: id, limit: 100 })).map((e) => e.event);
    assert.deepEqual(events, [
      'permission.requested',
      'permission.approved',
      'token.verified',
      'token.used',
      'token.use_refused',
      'token.verified',
    ]);
  });

  it('refuses a use outside the scope without spending the token', async () => {
    const { body } = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'file.read', scope: { size_limit: 10 } },
    });
    const { id, token } = body.data;
    const bad = await t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: { token, actionDetails: { path: '/etc/passwd.sh', size: 5 } },
    });
    assert.equal(bad.status, 403);
    assert.equal(bad.body.error.code, 'SCOPE_VIOLATION');
    assert.equal(bad.body.error.details.constraint, 'allowed_extensions');
    const tooBig = await t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: { token, actionDetails: { path: '/a.txt', size: 11 } },
    });
    assert.equal(tooBig.body.error.code, 'SCOPE_VIOLATION');
    assert.equal((await t.runtime.store.getPermission(id))?.usesRemaining, 1, 'not spent');
    const good = await t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: { token, actionDetails: { path: '/a.txt', size: 10 } },
    });
    assert.equal(good.status, 200);
  });

  it('counts max_emails as uses and reports unchecked constraints', async () => {
    const { body } = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'gmail.send', scope: { max_emails: 2, subject_pattern: '^Invoice' } },
    });
    assert.equal(body.data.usesRemaining, 2);
    const { id, token } = body.data;
    const first = await t.call('POST', `/api/v1/permissions/${id}/use`, { key, body: { token } });
    assert.deepEqual(first.body.data, {
      success: true,
      usesRemaining: 1,
      status: 'approved',
      unchecked: ['subject_pattern'],
    });
    const wrongSubject = await t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: { token, actionDetails: { subject: 'Hello' } },
    });
    assert.equal(wrongSubject.body.error.code, 'SCOPE_VIOLATION');
    const second = await t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: { token, actionDetails: { subject: 'Invoice #123' } },
    });
    assert.equal(second.body.data.status, 'used');
  });

  it('denies by policy with the rule named, and by default when nothing matches', async () => {
    const denied = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'file.delete' },
    });
    assert.equal(denied.status, 200);
    assert.equal(denied.body.data.status, 'denied');
    assert.equal(denied.body.data.reason, 'denied by policy rule "deletes"');
    assert.equal(denied.body.data.token, undefined);
    const unmatched = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'shell.exec' },
    });
    assert.equal(unmatched.body.data.status, 'denied');
    assert.equal(unmatched.body.data.policy.rule, null);
    const stored = await t.runtime.store.getPermission(unmatched.body.data.id);
    assert.equal(stored?.tokenHash, null);
  });

  it('holds require_approval requests pending with the deadline and quorum of the rule', async () => {
    const pending = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'bank.transfer', scope: { max_amount: 100 }, context: { reason: 'rent' } },
    });
    assert.equal(pending.status, 202);
    const { id, approvalUrl, eventsUrl, expiresAt, approvalsRequired } = pending.body.data;
    assert.equal(approvalUrl, `https://otp.example.com/requests/${id}`);
    assert.equal(eventsUrl, `https://otp.example.com/api/v1/permissions/${id}/events`);
    assert.equal(expiresAt, new Date(t.clock.now() + 600_000).toISOString());
    assert.equal(approvalsRequired, 2);
    assert.equal(pending.body.data.token, undefined);

    const read = await t.call('GET', `/api/v1/permissions/${id}`, { key });
    assert.equal(read.body.data.status, 'pending');
    t.clock.advance(600_001);
    const expired = await t.call('GET', `/api/v1/permissions/${id}`, { key });
    assert.equal(expired.body.data.status, 'expired');
  });

  it('expires approved tokens at their ttl, in the sweeper too', async () => {
    const { body } = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'gmail.send', ttl: 30 },
    });
    t.clock.advance(30_000);
    assert.equal(await t.runtime.permissions.expireDue(), 1);
    assert.equal((await t.runtime.store.getPermission(body.data.id))?.status, 'expired');
    const use = await t.call('POST', `/api/v1/permissions/${body.data.id}/use`, {
      key,
      body: { token: body.data.token },
    });
    assert.equal(use.status, 410);
    assert.equal(use.body.error.code, 'TOKEN_EXPIRED');
  });

  it('revokes approved tokens and cancels pending requests', async () => {
    const approved = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'gmail.send' },
    });
    const revoke = await t.call('POST', `/api/v1/permissions/${approved.body.data.id}/revoke`, {
      key,
      body: { reason: 'task aborted' },
    });
    assert.equal(revoke.status, 200);
    assert.equal(revoke.body.data.status, 'revoked');
    assert.equal(revoke.body.data.reason, 'task aborted');
    const use = await t.call('POST', `/api/v1/permissions/${approved.body.data.id}/use`, {
      key,
      body: { token: approved.body.data.token },
    });
    assert.equal(use.body.error.code, 'TOKEN_REVOKED');

    const pending = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'bank.pay' },
    });
    const cancel = await t.call('POST', `/api/v1/permissions/${pending.body.data.id}/revoke`, { key });
    assert.equal(cancel.body.data.status, 'cancelled');
    const again = await t.call('POST', `/api/v1/permissions/${pending.body.data.id}/revoke`, { key });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'INVALID_STATE');
  });

  it('lists only the agent own requests, newest first, in pages', async () => {
    const other = await t.agent('other-bot');
    await t.call('POST', '/api/v1/permissions/request', {
      key: other.apiKey,
      body: { action: 'gmail.send' },
    });
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<TestRuntime['call']>> = await t.call(
        'GET',
        `/api/v1/permissions?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { key },
      );
      for (const p of page.body.data) {
        assert.equal(seen.has(p.id), false);
        seen.add(p.id);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    const mine = await t.runtime.store.listPermissions({
      agentId: (await t.runtime.agents.find('invoice-bot')).id,
      limit: 200,
    });
    assert.equal(seen.size, mine.items.length);
    const pending = await t.call('GET', '/api/v1/permissions?status=pending', { key });
    assert.ok(pending.body.data.every((p: { status: string }) => p.status === 'pending'));
  });

  it('keeps an intact audit chain with no secret in it', async () => {
    const verifier = createChainVerifier();
    const entries = await t.runtime.store.listAudit({ limit: 10_000 });
    for (const entry of entries) verifier.add(entry);
    assert.equal(verifier.result().ok, true);
    const text = JSON.stringify(entries);
    assert.doesNotMatch(text, /otp_[A-Za-z0-9_-]{43}/);
    assert.doesNotMatch(text, /ak_[A-Za-z0-9_-]{43}/);
    assert.doesNotMatch(t.logs(), /otp_[A-Za-z0-9_-]{43}|ak_[A-Za-z0-9_-]{43}/);
  });
});
