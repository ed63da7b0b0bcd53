import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

/**
 * Finding 6 through the HTTP API: a value of a type a higher rule cannot compare never falls
 * through to a more permissive rule; the denial (or the hold) says which rule and value.
 */
const POLICY = `
- name: Big transfers denied
  conditions:
    action: { equals: bank.transfer }
    context.amount: { greaterThan: 1000 }
  action: deny
  priority: 10
- name: Odd payments held
  conditions:
    action: { equals: bank.pay }
    context.amount: { lessThan: 0 }
  action: require_approval
  priority: 10
- name: Banking approved
  conditions: { action: { startsWith: bank. } }
  action: auto_approve
`;

describe('finding 6: mistyped request values over HTTP', () => {
  let t: TestRuntime;
  let key: string;
  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    key = (await t.agent('payer')).apiKey;
  });
  after(() => t.close());

  const ask = (action: string, amount: unknown) =>
    t.call('POST', '/api/v1/permissions/request', { key, body: { action, context: { amount } } });

  for (const amount of ['5000', [5000], { v: 5000 }, true]) {
    it(`denies amount ${JSON.stringify(amount)} with the rule and the reason`, async () => {
      const response = await ask('bank.transfer', amount);
      assert.equal(response.status, 200);
      const { id, status, reason, policy } = response.body.data;
      assert.equal(status, 'denied');
      assert.equal(policy.rule, 'Big transfers denied');
      assert.equal(
        reason,
        `denied by policy: context.amount: ${JSON.stringify(amount)} is not a number (greaterThan 1000) ` +
          'in rule "Big transfers denied"',
      );
      const audit = await t.runtime.store.listAudit({ permissionId: id, limit: 10 });
      const requested = audit.find((e) => e.event === 'permission.requested');
      assert.equal(requested?.details.decision, 'deny');
      assert.equal(requested?.details.rule, 'Big transfers denied');
      assert.match(String(requested?.details.reason), /^context\.amount: .* is not a number/);
      const denied = audit.find((e) => e.event === 'permission.denied');
      assert.equal(denied?.details.reason, reason);
    });
  }

  it('denies 5000 plainly and approves 500', async () => {
    const big = await ask('bank.transfer', 5000);
    assert.equal(big.body.data.status, 'denied');
    assert.equal(big.body.data.reason, 'denied by policy rule "Big transfers denied"');
    const small = await ask('bank.transfer', 500);
    assert.equal(small.status, 201);
    assert.equal(small.body.data.status, 'approved');
  });

  it('holds a payment for a human when the amount cannot be compared, and says why', async () => {
    const held = await ask('bank.pay', '-5');
    assert.equal(held.status, 202);
    const read = await t.call('GET', `/api/v1/permissions/${held.body.data.id}`, { key });
    assert.equal(read.body.data.status, 'pending');
    assert.equal(read.body.data.policy.rule, 'Odd payments held');
    assert.equal(
      read.body.data.reason,
      'held for approval: context.amount: "-5" is not a number (lessThan 0) in rule "Odd payments held"',
    );
    assert.equal((await ask('bank.pay', 5)).status, 201);
  });
});
