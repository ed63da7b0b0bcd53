import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../src/config.ts';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: lenient reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
  scopeTemplate: { allowed_extensions: [".txt"] }
- name: strict payments
  conditions: { action: { equals: pay.small } }
  action: auto_approve
  enforcement: strict
  scopeTemplate: { max_amount: 100, allowed_currencies: [EUR] }
- name: explicitly lenient
  conditions: { action: { equals: note.write } }
  action: auto_approve
  enforcement: lenient
  scopeTemplate: { max_size: 10 }
- name: strict approvals
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  enforcement: strict
  approvalTimeout: 600
`;

type Call = TestRuntime['call'];

async function grant(call: Call, key: string, body: object) {
  const response = await call('POST', '/api/v1/permissions/request', { key, body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.data as { id: string; token: string; enforcement: string };
}

describe('allowed_<plural> keys are enforced at use (finding 2)', () => {
  let t: TestRuntime;
  let key: string;
  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    key = (await t.agent('traveller')).apiKey;
  });
  after(() => t.close());

  it('allowed_countries: ["DE"] refuses {"country": "KP"} and does not spend the token', async () => {
    const { id, token } = await grant(t.call, key, {
      action: 'file.read',
      scope: { allowed_countries: ['DE'] },
    });
    const refused = await t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: { token, actionDetails: { country: 'KP' } },
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'SCOPE_VIOLATION');
    assert.equal(refused.body.error.details.constraint, 'allowed_countries');
    const used = await t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: { token, actionDetails: { country: 'DE' } },
    });
    assert.equal(used.status, 200);
    assert.deepEqual(used.body.data.unchecked, ['allowed_extensions']);
  });
});

describe('scope enforcement: strict and lenient (finding 3)', () => {
  let t: TestRuntime;
  let key: string;
  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    key = (await t.agent('payer')).apiKey;
  });
  after(() => t.close());

  const use = (id: string, token: string, actionDetails?: object) =>
    t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: actionDetails ? { token, actionDetails } : { token },
    });

  it('lenient by default: a use without details passes and lists what it did not check', async () => {
    const { id, token, enforcement } = await grant(t.call, key, { action: 'file.read' });
    assert.equal(enforcement, 'lenient');
    const used = await use(id, token);
    assert.equal(used.status, 200);
    assert.deepEqual(used.body.data.unchecked, ['allowed_extensions']);
  });

  it('strict: a missing detail is a 403 SCOPE_VIOLATION that spends nothing', async () => {
    const { id, token, enforcement } = await grant(t.call, key, { action: 'pay.small' });
    assert.equal(enforcement, 'strict');
    const bare = await use(id, token);
    assert.equal(bare.status, 403);
    assert.equal(bare.body.error.code, 'SCOPE_VIOLATION');
    assert.equal(bare.body.error.details.constraint, 'allowed_currencies');
    assert.match(bare.body.error.message, /actionDetails\.currency or actionDetails\.currencies is required/);
    const partial = await use(id, token, { currency: 'EUR' });
    assert.equal(partial.status, 403);
    assert.equal(partial.body.error.details.constraint, 'max_amount');
    const mistyped = await use(id, token, { currency: 'EUR', amount: '50' });
    assert.equal(mistyped.status, 403);
    const refusals = (await t.runtime.store.listAudit({ permissionId: id, limit: 50 })).filter(
      (e) => e.event === 'token.use_refused',
    );
    assert.equal(refusals.length, 3);
    const used = await use(id, token, { currency: 'EUR', amount: 50 });
    assert.equal(used.status, 200);
    assert.deepEqual(used.body.data.unchecked, []);
  });

  it('a mistyped detail is refused under lenient too', async () => {
    const { id, token } = await grant(t.call, key, { action: 'note.write' });
    const mistyped = await use(id, token, { size: '5' });
    assert.equal(mistyped.status, 403);
    assert.equal(mistyped.body.error.code, 'SCOPE_VIOLATION');
  });

  it('shows the mode in verify, in the permission the agent reads, and in the audit', async () => {
    const { id, token } = await grant(t.call, key, { action: 'pay.small', scope: { memo: 'x' } });
    const verify = await t.call('POST', `/api/v1/permissions/${id}/verify`, { key, body: { token } });
    assert.equal(verify.body.data.enforcement, 'strict');
    // Uninterpreted keys stay unenforced under strict: the protected operation checks them.
    assert.deepEqual(verify.body.data.unenforced, ['memo']);
    const read = await t.call('GET', `/api/v1/permissions/${id}`, { key });
    assert.equal(read.body.data.enforcement, 'strict');
    const listed = await t.call('GET', '/api/v1/permissions?action=pay.small', { key });
    assert.ok(listed.body.data.every((p: { enforcement: string }) => p.enforcement === 'strict'));
    const [requested] = (await t.runtime.store.listAudit({ permissionId: id, limit: 1 })).map(
      (e) => e.details,
    );
    assert.equal(requested?.enforcement, 'strict');
  });

  it('a require_approval rule fixes the mode at request time, before anyone approves', async () => {
    const pending = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'bank.transfer', scope: { max_amount: 10 } },
    });
    assert.equal(pending.status, 202);
    const read = await t.call('GET', `/api/v1/permissions/${pending.body.data.id}`, { key });
    assert.equal(read.body.data.enforcement, 'strict');
  });

  it('a policy reload does not change the rules of a token already issued', async () => {
    const { id, token } = await grant(t.call, key, { action: 'pay.small' });
    writeFileSync(
      join(t.dataDir, 'policies.yaml'),
      POLICY.replace('enforcement: strict', 'enforcement: lenient'),
    );
    assert.equal(t.runtime.policy.reload().ok, true);
    const bare = await use(id, token);
    assert.equal(bare.status, 403, 'the token keeps the strict mode it was issued with');
    const fresh = await grant(t.call, key, { action: 'pay.small' });
    assert.equal(fresh.enforcement, 'lenient');
  });
});

describe('AGENT_OTP_SCOPE_ENFORCEMENT sets the default (finding 3)', () => {
  let t: TestRuntime;
  let key: string;
  before(async () => {
    t = await createTestRuntime({ policy: POLICY, env: { AGENT_OTP_SCOPE_ENFORCEMENT: 'strict' } });
    key = (await t.agent('strict-by-default')).apiKey;
  });
  after(() => t.close());

  it('applies to rules without their own setting; a rule set lenient stays lenient', async () => {
    const reads = await grant(t.call, key, { action: 'file.read' });
    assert.equal(reads.enforcement, 'strict');
    const bare = await t.call('POST', `/api/v1/permissions/${reads.id}/use`, {
      key,
      body: { token: reads.token },
    });
    assert.equal(bare.status, 403);
    const notes = await grant(t.call, key, { action: 'note.write' });
    assert.equal(notes.enforcement, 'lenient');
  });
});

describe('AGENT_OTP_SCOPE_ENFORCEMENT parsing', () => {
  it('is lenient unless set, and refuses anything but lenient or strict, naming the variable', () => {
    assert.equal(parseConfig({}).scopeEnforcement, 'lenient');
    assert.equal(parseConfig({ AGENT_OTP_SCOPE_ENFORCEMENT: 'strict' }).scopeEnforcement, 'strict');
    assert.throws(
      () => parseConfig({ AGENT_OTP_SCOPE_ENFORCEMENT: 'loose' }),
      (error: Error) => error instanceof ConfigError && error.message.includes('AGENT_OTP_SCOPE_ENFORCEMENT'),
    );
  });
});
