import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AgentOTPClient,
  AgentOTPError,
  AuthenticationError,
  NotFoundError,
  RateLimitError,
  ValidationError,
} from '../src/index.ts';
import { type Harness, rejection, startHarness } from './helpers.ts';

// Every refusal the server can give an agent arrives as the matching typed error, and a denial
// by policy is a value, not an error.

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(() => harness.close());

describe('outcomes and errors', () => {
  test('denied by policy resolves with status denied and the reason; nothing to spend', async () => {
    const otp = await harness.client();
    const permission = await otp.requestPermission({ action: 'db.drop', resource: 'db:production' });
    assert.equal(permission.status, 'denied');
    if (permission.status !== 'denied') return;
    assert.equal(permission.token, undefined);
    assert.equal(permission.reason, 'denied by policy rule "Default deny"');
    assert.deepEqual(permission.policy.decision, 'deny');
    assert.equal(permission.policy.rule, 'Default deny');
    assert.equal(permission.expiresAt, null);
  });

  test('the constructor refuses a missing or non-agent key before any request', () => {
    for (const apiKey of [undefined, '', 'sk_live_123', 'otp_abc']) {
      assert.throws(
        () => new AgentOTPClient({ apiKey }),
        (error: unknown) => {
          assert.ok(error instanceof AuthenticationError);
          assert.equal(error.code, 'MISSING_API_KEY');
          assert.equal(error.status, undefined);
          if (apiKey) assert.ok(!error.message.includes(apiKey), 'the key must not be echoed');
          return true;
        },
      );
    }
    assert.throws(() => new AgentOTPClient({ apiKey: 'ak_x', baseUrl: 'localhost:8787' }), ValidationError);
  });

  test('an unknown key is AuthenticationError (401 UNAUTHORIZED)', async () => {
    const otp = new AgentOTPClient({ apiKey: `ak_${'x'.repeat(43)}`, baseUrl: harness.server.url });
    const error = await rejection(otp.requestPermission({ action: 'gmail.send' }));
    assert.ok(error instanceof AuthenticationError, String(error));
    assert.equal(error.code, 'UNAUTHORIZED');
    assert.equal(error.status, 401);
    assert.match(error.requestId ?? '', /\S/);
  });

  test("another agent's permission is NotFoundError, for every route", async () => {
    const owner = await harness.client();
    const stranger = await harness.client();
    const permission = await owner.requestPermission({ action: 'gmail.send' });
    if (permission.status !== 'approved') assert.fail(`expected approved, got ${permission.status}`);
    const attempts = [
      () => stranger.getPermission(permission.id),
      () => stranger.verifyToken(permission.id, permission.token),
      () => stranger.useToken(permission.id, permission.token),
      () => stranger.revoke(permission.id),
    ];
    for (const attempt of attempts) {
      const error = await rejection(attempt());
      assert.ok(error instanceof NotFoundError, String(error));
      assert.equal(error.status, 404);
    }
    // And the owner's token was not touched by any of it.
    assert.equal((await owner.getPermission(permission.id)).status, 'approved');
  });

  test('bad input is ValidationError with the field and reason', async () => {
    const otp = await harness.client();
    const error = await rejection(otp.requestPermission({ action: 'gmail.send', ttl: 5 }));
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.issues[0]?.field, 'ttl');

    const badId = await rejection(otp.getPermission('not-an-id'));
    assert.ok(badId instanceof ValidationError, String(badId));
  });

  test('revoking twice: the second is an AgentOTPError with the server code INVALID_STATE', async () => {
    const otp = await harness.client();
    const permission = await otp.requestPermission({ action: 'gmail.send' });
    await otp.revoke(permission.id);
    const error = await rejection(otp.revoke(permission.id));
    assert.ok(error instanceof AgentOTPError, String(error));
    assert.equal(error.code, 'INVALID_STATE');
    assert.equal(error.status, 409);
  });
});

describe('rate limit', () => {
  let limited: Harness;
  before(async () => {
    limited = await startHarness({ env: { AGENT_OTP_RATE_LIMIT: '3' } });
  });
  after(() => limited.close());

  test('over the limit: RateLimitError with retryAfter, and no automatic retry', async () => {
    let calls = 0;
    const otp = await limited.client({
      fetch: (input, init) => {
        calls += 1;
        return fetch(input, init);
      },
    });
    for (let i = 0; i < 3; i += 1) await otp.requestPermission({ action: 'gmail.send' });
    const error = await rejection(otp.requestPermission({ action: 'gmail.send' }));
    assert.ok(error instanceof RateLimitError, String(error));
    assert.equal(error.code, 'RATE_LIMITED');
    assert.equal(error.status, 429);
    assert.ok(error.retryAfter >= 1 && error.retryAfter <= 20, `retryAfter ${error.retryAfter}`);
    assert.equal(calls, 4);
    // A read is not retried on 429 either.
    await rejection(otp.listPermissions());
    assert.equal(calls, 5);
  });
});
