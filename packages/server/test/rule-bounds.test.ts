import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

// Finding 5: on an auto-approve rule the agent picked its own use count and lifetime
// (`scope.max_uses: 1000000` was granted as a million uses). Rules now bound both.
const POLICY = `
- name: one use
  conditions: { action: { equals: file.read } }
  action: auto_approve
- name: five uses, one minute
  conditions: { action: { equals: api.call } }
  action: auto_approve
  maxUses: 5
  maxTtl: 60
- name: template grants three
  conditions: { action: { equals: gmail.send } }
  action: auto_approve
  scopeTemplate: { max_emails: 3 }
- name: unlimited on purpose
  conditions: { action: { equals: metrics.read } }
  action: auto_approve
  scopeTemplate: { max_uses: unlimited }
- name: humans decide
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  maxTtl: 120
  approvalTimeout: 600
`;

describe('rules bound the uses and lifetime they grant (finding 5)', () => {
  let t: TestRuntime;
  let key: string;
  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    key = (await t.agent('greedy')).apiKey;
  });
  after(() => t.close());

  const request = (body: object) => t.call('POST', '/api/v1/permissions/request', { key, body });

  it('clamps a million uses to the default of one, and says so in the response and the audit', async () => {
    const response = await request({ action: 'file.read', scope: { max_uses: 1_000_000 } });
    assert.equal(response.status, 201);
    const { id, usesRemaining, scope, adjusted } = response.body.data;
    assert.equal(usesRemaining, 1);
    assert.deepEqual(scope, { max_uses: 1 });
    assert.deepEqual(adjusted, [{ field: 'max_uses', requested: 1_000_000, granted: 1 }]);
    const [requested] = await t.runtime.store.listAudit({ permissionId: id, limit: 1 });
    assert.equal(requested?.event, 'permission.requested');
    assert.deepEqual(requested?.details.scope, { max_uses: 1_000_000 }, 'what was asked');
    assert.deepEqual(requested?.details.adjusted, adjusted);
  });

  it('grants what the agent asks within maxUses, and clamps every count key above it', async () => {
    const within = await request({ action: 'api.call', scope: { max_uses: 3 } });
    assert.equal(within.body.data.usesRemaining, 3);
    assert.deepEqual(within.body.data.adjusted, []);
    const above = await request({
      action: 'api.call',
      scope: { max_calls: 50, max_requests: 9, max_uses: 2 },
    });
    assert.equal(above.body.data.usesRemaining, 2);
    assert.deepEqual(above.body.data.scope, { max_calls: 5, max_requests: 5, max_uses: 2 });
    assert.deepEqual(above.body.data.adjusted, [
      { field: 'max_calls', requested: 50, granted: 5 },
      { field: 'max_requests', requested: 9, granted: 5 },
    ]);
    const none = await request({ action: 'api.call' });
    assert.equal(none.body.data.usesRemaining, 1, 'maxUses is a bound, not a grant');
  });

  it('clamps the lifetime to maxTtl, reporting it when the agent asked for more', async () => {
    const asked = await request({ action: 'api.call', ttl: 3600 });
    assert.equal(asked.body.data.expiresAt, new Date(t.clock.now() + 60_000).toISOString());
    assert.deepEqual(asked.body.data.adjusted, [{ field: 'ttl', requested: 3600, granted: 60 }]);
    const read = await t.call('GET', `/api/v1/permissions/${asked.body.data.id}`, { key });
    assert.equal(read.body.data.ttl, 60);
    const unasked = await request({ action: 'api.call' });
    assert.equal(unasked.body.data.expiresAt, new Date(t.clock.now() + 60_000).toISOString());
    assert.deepEqual(unasked.body.data.adjusted, []);
  });

  it('defaults the bound to what the template grants', async () => {
    const response = await request({ action: 'gmail.send', scope: { max_emails: 10 } });
    assert.equal(response.body.data.usesRemaining, 3);
    assert.deepEqual(response.body.data.adjusted, [{ field: 'max_emails', requested: 10, granted: 3 }]);
  });

  it('still lets a template grant unlimited uses explicitly', async () => {
    const unlimited = await request({ action: 'metrics.read' });
    assert.equal(unlimited.body.data.usesRemaining, null);
    const counted = await request({ action: 'metrics.read', scope: { max_uses: 1_000_000 } });
    assert.equal(counted.body.data.usesRemaining, 1_000_000);
    assert.deepEqual(counted.body.data.adjusted, []);
  });

  it('applies the same bounds to require_approval rules, before approvers see the request', async () => {
    const pending = await request({ action: 'bank.transfer', scope: { max_uses: 20 }, ttl: 3600 });
    assert.equal(pending.status, 202);
    assert.deepEqual(pending.body.data.adjusted, [
      { field: 'max_uses', requested: 20, granted: 1 },
      { field: 'ttl', requested: 3600, granted: 120 },
    ]);
    const { id } = pending.body.data;
    const actor = { type: 'system', id: 'test' } as const;
    const { user } = await t.runtime.users.create({ name: 'alice', role: 'approver' }, actor);
    const approved = await t.runtime.approvals.approve(user, id);
    assert.equal(approved.outcome, 'approved');
    assert.equal(approved.permission.usesRemaining, 1);
    assert.equal(approved.permission.expiresAt, t.clock.now() + 120_000);
  });
});
