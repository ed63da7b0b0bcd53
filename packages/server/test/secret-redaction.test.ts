import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AuditEntry, createChainVerifier, generateSecret } from '@agent-otp/core';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
`;

/**
 * Finding 9: agent- and approver-supplied strings that hold a credential (resource, scope keys
 * and values, context, deny and revoke reasons, `xotp_…`, a presented but unspent token) never
 * reach the audit table, its exports, the logs or an error body.
 */
describe('secrets never reach the audit log, exports, logs or error bodies (finding 9)', () => {
  let t: TestRuntime;
  let agentKey: string;
  let approverToken: string;
  let sessionCookie: string;
  const planted: string[] = [];
  /** A credential-shaped value to plant, remembered so every sink can be searched for it. */
  const plant = (prefix: string) => {
    const secret = generateSecret(prefix);
    planted.push(secret);
    return secret;
  };
  /** The secret's body alone, so a redaction that kept the body but dropped the prefix fails too. */
  const body = (secret: string) => secret.slice(secret.indexOf('_') + 1);

  async function allAudit(): Promise<AuditEntry[]> {
    return t.runtime.store.listAudit({ limit: 10_000 });
  }

  function assertClean(where: string, text: string) {
    for (const secret of planted) assert.ok(!text.includes(body(secret)), `${where} holds ${secret}`);
  }

  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    agentKey = (await t.agent('careless-bot')).apiKey;
    planted.push(agentKey);
    const actor = { type: 'system' as const, id: 'test' };
    const { user } = await t.runtime.users.create(
      { name: 'alice', role: 'approver', password: 'correct horse battery' },
      actor,
    );
    approverToken = (await t.runtime.users.createToken(user.id, 'tests', actor)).token;
    planted.push(approverToken);
    await t.runtime.users.create(
      { name: 'admin', role: 'admin', password: 'admin password long enough' },
      actor,
    );
    const login = await t.runtime.users.login('admin', 'admin password long enough');
    sessionCookie = login.sessionToken;
    planted.push(sessionCookie);
  });
  after(() => t.close());

  it('redacts resource, scope keys and values, context and x-prefixed tokens', async () => {
    const res = await t.call('POST', '/api/v1/permissions/request', {
      key: agentKey,
      body: {
        action: 'file.read',
        resource: `file:/home/me/${plant('otp_')}`,
        scope: { [`note_${plant('ak_')}`]: `x${plant('otp_')}`, labels: [plant('uat_')] },
        context: { reason: `session ${plant('ses_')}`, [plant('otp_')]: 'key' },
      },
    });
    assert.equal(res.status, 201);
    planted.push(res.body.data.token);
    const requested = (await allAudit()).find((e) => e.event === 'permission.requested');
    assert.ok(requested);
    assertClean('permission.requested', JSON.stringify(requested));
    assert.match(JSON.stringify(requested.details), /\[redacted\]/);
  });

  it('redacts an approver deny reason and an agent revoke reason', async () => {
    const pending = await t.call('POST', '/api/v1/permissions/request', {
      key: agentKey,
      body: { action: 'bank.transfer', scope: { max_amount: 10 } },
    });
    const denied = await t.call('POST', `/api/v1/approvals/${pending.body.data.id}/deny`, {
      key: approverToken,
      body: { reason: `leaked ${plant('ak_')}` },
    });
    assert.equal(denied.status, 200);
    const other = await t.call('POST', '/api/v1/permissions/request', {
      key: agentKey,
      body: { action: 'file.read' },
    });
    planted.push(other.body.data.token);
    const revoked = await t.call('POST', `/api/v1/permissions/${other.body.data.id}/revoke`, {
      key: agentKey,
      body: { reason: `done with x${plant('uat_')}` },
    });
    assert.equal(revoked.status, 200);
    const entries = (await allAudit()).filter(
      (e) => e.permissionId === pending.body.data.id || e.permissionId === other.body.data.id,
    );
    const events = entries.map((e) => e.event);
    assert.ok(events.includes('approval.vote') && events.includes('permission.revoked'), String(events));
    assertClean('deny and revoke entries', JSON.stringify(entries));
  });

  it('never stores or echoes a presented, still unspent token on a refused use', async () => {
    const target = await t.call('POST', '/api/v1/permissions/request', {
      key: agentKey,
      body: { action: 'file.read', scope: { recipient_pattern: '^[a-z]+@corp\\.example$' } },
    });
    const unspent = await t.call('POST', '/api/v1/permissions/request', {
      key: agentKey,
      body: { action: 'file.read' },
    });
    const unspentToken: string = unspent.body.data.token;
    planted.push(target.body.data.token, unspentToken);
    // The wrong token presented as the token, then quoted back by a scope violation.
    const wrong = await t.call('POST', `/api/v1/permissions/${target.body.data.id}/use`, {
      key: agentKey,
      body: { token: unspentToken },
    });
    assert.equal(wrong.status, 401);
    const quoted = await t.call('POST', `/api/v1/permissions/${target.body.data.id}/use`, {
      key: agentKey,
      body: { token: target.body.data.token, actionDetails: { recipient: unspentToken } },
    });
    assert.equal(quoted.status, 403);
    assert.equal(quoted.body.error.code, 'SCOPE_VIOLATION');
    assertClean('SCOPE_VIOLATION body', JSON.stringify(quoted.body));
    assertClean('error body', JSON.stringify(wrong.body));
    const refused = (await allAudit()).filter((e) => e.event === 'token.use_refused');
    assert.equal(refused.length, 2);
    assertClean('token.use_refused', JSON.stringify(refused));
    assert.match(JSON.stringify(refused), /\[redacted\]/);
    // The unspent token still works: it was only hidden, never spent or changed.
    const use = await t.call('POST', `/api/v1/permissions/${unspent.body.data.id}/use`, {
      key: agentKey,
      body: { token: unspentToken },
    });
    assert.equal(use.status, 200);
  });

  it('redacts credentials that error messages quote from the path or body', async () => {
    const notFound = await t.call('GET', `/api/v1/permissions/${plant('otp_')}`, { key: agentKey });
    assert.equal(notFound.status, 400, 'not an id');
    const noRoute = await t.call('GET', `/api/v1/nowhere/${plant('ak_')}`, { key: agentKey });
    assert.equal(noRoute.status, 404);
    const badScope = await t.call('POST', '/api/v1/permissions/request', {
      key: agentKey,
      body: { action: 'file.read', scope: { path_pattern: `(${plant('uat_')}` } },
    });
    assert.equal(badScope.status, 400);
    const page = await t.runtime.app.request(`/no-such-page/${plant('ses_')}`, {
      headers: { cookie: `agent_otp_session=${sessionCookie}` },
    });
    assert.equal(page.status, 404);
    for (const response of [notFound, noRoute, badScope])
      assertClean('error body', JSON.stringify(response.body));
    assertClean('dashboard 404 page', await page.text());
  });

  it('keeps the exports, the logs and the hash chain clean and intact', async () => {
    const cookie = `agent_otp_session=${sessionCookie}`;
    for (const format of ['jsonl', 'csv']) {
      const response = await t.runtime.app.request(`/audit/export.${format}`, { headers: { cookie } });
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.match(text, /permission\.requested/);
      assertClean(`${format} export`, text);
    }
    t.runtime.logger.error({ err: new Error(`boom ${plant('otp_')}`), detail: plant('ak_') }, 'failure');
    t.runtime.logger.warn(`odd value ${plant('uat_')}`);
    assert.match(t.logs(), /boom \[redacted\]/);
    assertClean('logs', t.logs());
    const verifier = createChainVerifier();
    for (const entry of await allAudit()) verifier.add(entry);
    assert.equal(verifier.result().ok, true);
  });
});
