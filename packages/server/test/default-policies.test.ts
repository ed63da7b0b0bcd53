import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

/** The policies.yaml written on first start, exercised as an agent would. */
describe('the default policies', () => {
  let t: TestRuntime;
  let key: string;
  before(async () => {
    t = await createTestRuntime(); // no policy given: the default file is written
    key = (await t.agent('assistant')).apiKey;
  });
  after(() => t.close());

  const request = (body: object) => t.call('POST', '/api/v1/permissions/request', { key, body });
  const use = (id: string, token: string, actionDetails?: object) =>
    t.call('POST', `/api/v1/permissions/${id}/use`, {
      key,
      body: actionDetails ? { token, actionDetails } : { token },
    });

  describe('internal emails (finding 4)', () => {
    async function approvedEmail() {
      const response = await request({
        action: 'gmail.send',
        resource: 'email:boss@mycompany.com',
        context: { recipient: 'boss@mycompany.com' },
      });
      assert.equal(response.status, 201);
      return response.body.data as { id: string; token: string; scope: object; enforcement: string };
    }

    it('binds an anchored recipient pattern and one email into the granted scope, strictly', async () => {
      const { scope, enforcement } = await approvedEmail();
      assert.deepEqual(scope, { recipient_pattern: '^[A-Za-z0-9._%+-]+@mycompany\\.com$', max_emails: 1 });
      assert.equal(enforcement, 'strict');
    });

    it('refuses a use that sends to someone else, and one that names no recipient', async () => {
      const { id, token } = await approvedEmail();
      for (const recipient of [
        'attacker@evil.com',
        'boss@mycompany.com.evil.io',
        'a@evil.com, b@mycompany.com',
      ]) {
        const refused = await use(id, token, { recipient, subject: 'hi' });
        assert.equal(refused.status, 403, recipient);
        assert.equal(refused.body.error.code, 'SCOPE_VIOLATION');
        assert.equal(refused.body.error.details.constraint, 'recipient_pattern');
      }
      const bare = await use(id, token);
      assert.equal(bare.status, 403);
      assert.equal(bare.body.error.details.constraint, 'recipient_pattern');
      const sent = await use(id, token, { recipient: 'colleague@mycompany.com' });
      assert.equal(sent.status, 200);
      assert.equal(sent.body.data.status, 'used', 'one email');
    });

    it('does not approve a recipient that only contains an internal address', async () => {
      for (const recipient of [
        'attacker@evil.com, x@mycompany.com',
        'attacker@evil.com\nx@mycompany.com',
        'x@mycompany.com.evil.io',
        'x@mycompanyXcom',
      ]) {
        const response = await request({ action: 'gmail.send', context: { recipient } });
        assert.equal(response.status, 200, recipient);
        assert.equal(response.body.data.status, 'denied');
        assert.equal(response.body.data.policy.rule, 'Default deny');
      }
    });
  });

  it('keeps file reads lenient: a use without details works, listing what it did not check', async () => {
    const granted = await request({ action: 'file.read', scope: { size_limit: 1000 } });
    assert.equal(granted.status, 201);
    assert.equal(granted.body.data.enforcement, 'lenient');
    const used = await use(granted.body.data.id, granted.body.data.token);
    assert.equal(used.status, 200);
    assert.deepEqual(used.body.data.unchecked, ['allowed_extensions', 'max_size', 'size_limit']);
  });

  it('grants an auto-approved read one use, whatever the agent asks (finding 5)', async () => {
    const granted = await request({ action: 'file.read', scope: { size_limit: 10, max_uses: 1_000_000 } });
    assert.equal(granted.status, 201);
    assert.equal(granted.body.data.usesRemaining, 1);
    assert.deepEqual(granted.body.data.adjusted, [{ field: 'max_uses', requested: 1_000_000, granted: 1 }]);
    const email = await request({
      action: 'gmail.send',
      scope: { max_emails: 500 },
      context: { recipient: 'boss@mycompany.com' },
    });
    assert.equal(email.body.data.usesRemaining, 1);
    assert.deepEqual(email.body.data.adjusted, [{ field: 'max_emails', requested: 500, granted: 1 }]);
  });

  it('makes financial operations strict', async () => {
    const pending = await request({ action: 'bank.transfer', scope: { max_amount: 100 } });
    assert.equal(pending.status, 202);
    const read = await t.call('GET', `/api/v1/permissions/${pending.body.data.id}`, { key });
    assert.equal(read.body.data.enforcement, 'strict');
  });
});
