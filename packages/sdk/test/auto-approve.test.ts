import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AgentOTPClient,
  InvalidTokenError,
  PermissionDeniedError,
  ScopeViolationError,
  TokenUsedError,
} from '../src/index.ts';
import { type Harness, rejection, startHarness } from './helpers.ts';

// The auto-approved lifecycle of SPEC §3 through the SDK, against a real server:
// request → verify → use → reuse refused, plus the scope check at use and executeWithPermission.

let harness: Harness;
let otp: AgentOTPClient;
before(async () => {
  harness = await startHarness();
  otp = await harness.client();
});
after(() => harness.close());

const invoiceEmail = {
  action: 'gmail.send',
  resource: 'email:client@example.com',
  scope: { max_emails: 1, subject_pattern: '^Invoice.*' },
  context: { reason: 'Sending monthly invoice to client' },
};

describe('auto-approved permission', () => {
  test('request → verify → use → reuse is refused with TokenUsedError', async () => {
    const permission = await otp.requestPermission(invoiceEmail);
    assert.equal(permission.status, 'approved');
    if (permission.status !== 'approved') return;
    assert.match(permission.id, /^perm_/);
    assert.match(permission.token, /^otp_/);
    assert.deepEqual(permission.scope, { max_emails: 1, subject_pattern: '^Invoice.*' });
    assert.equal(permission.usesRemaining, 1);
    assert.ok(Date.parse(permission.expiresAt) > Date.now());
    assert.equal(permission.policy.decision, 'auto_approve');
    assert.equal(permission.policy.rule, 'Auto-approve email');

    const check = await otp.verifyToken(permission.id, permission.token);
    assert.equal(check.valid, true);
    if (check.valid) {
      assert.equal(check.action, 'gmail.send');
      assert.equal(check.resource, 'email:client@example.com');
      assert.deepEqual(check.unenforced, []);
    }

    const used = await otp.useToken(permission.id, permission.token, { subject: 'Invoice #123' });
    assert.deepEqual(used, { success: true, usesRemaining: 0, status: 'used', unchecked: [] });

    const again = await rejection(otp.useToken(permission.id, permission.token, { subject: 'Invoice #123' }));
    assert.ok(again instanceof TokenUsedError, String(again));
    assert.equal(again.code, 'TOKEN_USED');
    assert.equal(again.status, 409);
    assert.match(again.requestId ?? '', /\S/);

    assert.deepEqual(await otp.verifyToken(permission.id, permission.token), {
      valid: false,
      reason: 'TOKEN_USED',
    });
    const view = await otp.getPermission(permission.id);
    assert.equal(view.status, 'used');
    assert.equal(view.token, undefined);
    assert.equal((await otp.getPermissionStatus(permission.id)).status, 'used');
  });

  test('a wrong token is InvalidTokenError and spends nothing', async () => {
    const permission = await otp.requestPermission(invoiceEmail);
    assert.equal(permission.status, 'approved');
    const error = await rejection(otp.useToken(permission.id, 'otp_not-the-right-token-at-all'));
    assert.ok(error instanceof InvalidTokenError, String(error));
    assert.equal(error.status, 401);
    assert.equal((await otp.getPermission(permission.id)).usesRemaining, 1);
  });

  test('actionDetails outside the scope: ScopeViolationError naming the constraint, token not spent', async () => {
    const permission = await otp.requestPermission(invoiceEmail);
    if (permission.status !== 'approved') assert.fail(`expected approved, got ${permission.status}`);
    const error = await rejection(otp.useToken(permission.id, permission.token, { subject: 'Hello there' }));
    assert.ok(error instanceof ScopeViolationError, String(error));
    assert.equal(error.code, 'SCOPE_VIOLATION');
    assert.equal(error.status, 403);
    assert.equal(error.constraint, 'subject_pattern');
    // Still usable with details that fit.
    const used = await otp.useToken(permission.id, permission.token, { subject: 'Invoice #7' });
    assert.equal(used.status, 'used');
  });

  test('a multi-use grant counts down, reports unchecked constraints, then refuses', async () => {
    const permission = await otp.requestPermission({ action: 'file.read', resource: 'file:/srv/notes.md' });
    if (permission.status !== 'approved') assert.fail(`expected approved, got ${permission.status}`);
    assert.equal(permission.usesRemaining, 2);
    const first = await otp.useToken(permission.id, permission.token, { path: '/srv/notes.md' });
    assert.equal(first.usesRemaining, 1);
    assert.equal(first.status, 'approved');
    const second = await otp.useToken(permission.id, permission.token);
    assert.deepEqual(second.unchecked, ['allowed_extensions']);
    assert.equal(second.status, 'used');
    assert.ok((await rejection(otp.useToken(permission.id, permission.token))) instanceof TokenUsedError);
  });

  test('revoke of an approved token: the token stops working', async () => {
    const permission = await otp.requestPermission(invoiceEmail);
    if (permission.status !== 'approved') assert.fail(`expected approved, got ${permission.status}`);
    const view = await otp.revokeToken(permission.id, 'no longer needed');
    assert.equal(view.status, 'revoked');
    assert.equal(view.reason, 'no longer needed');
    const check = await otp.verifyToken(permission.id, permission.token);
    assert.deepEqual(check, { valid: false, reason: 'TOKEN_REVOKED' });
  });

  test('listPermissions pages through the agent’s own requests, only first', async () => {
    const mine = await harness.client();
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await mine.requestPermission(invoiceEmail)).id);
    const first = await mine.listPermissions({ limit: 2 });
    assert.equal(first.data.length, 2);
    assert.ok(first.nextCursor);
    const rest = await mine.listPermissions({ limit: 2, cursor: first.nextCursor });
    assert.equal(rest.nextCursor, null);
    assert.deepEqual([...first.data, ...rest.data].map((p) => p.id).sort(), [...ids].sort());
    const approved = await mine.listPermissions({ status: 'approved', action: 'gmail.send' });
    assert.equal(approved.data.length, 3);
    assert.equal((await mine.listPermissions({ status: 'used' })).data.length, 0);
  });
});

describe('executeWithPermission', () => {
  // Each test uses a fresh agent, so its list holds exactly the permission the test made.
  test('spends the token once, then runs the operation once and returns its result', async () => {
    const otp = await harness.client();
    const calls: Array<{ token: string; scope: Record<string, unknown> }> = [];
    const result = await otp.executeWithPermission(
      invoiceEmail,
      async (token, scope) => {
        calls.push({ token, scope });
        return 'message-42';
      },
      { actionDetails: { recipient: 'client@example.com', subject: 'Invoice #123' } },
    );
    assert.equal(result, 'message-42');
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.match(call?.token ?? '', /^otp_/);
    assert.deepEqual(call?.scope, { max_emails: 1, subject_pattern: '^Invoice.*' });
    // The server saw exactly one use: the one permission is used up.
    const [only, ...others] = (await otp.listPermissions()).data;
    assert.equal(others.length, 0);
    assert.equal(only?.status, 'used');
    assert.equal(only?.usesRemaining, 0);
  });

  test('denied by policy: PermissionDeniedError and the operation never runs', async () => {
    let ran = false;
    const error = await rejection(
      otp.executeWithPermission({ action: 'db.drop' }, () => {
        ran = true;
      }),
    );
    assert.ok(error instanceof PermissionDeniedError, String(error));
    assert.equal(error.code, 'PERMISSION_DENIED');
    assert.match(error.message, /Default deny/);
    assert.equal(ran, false);
  });

  test('out-of-scope details: ScopeViolationError before the operation, nothing spent', async () => {
    const otp = await harness.client();
    let ran = false;
    const error = await rejection(
      otp.executeWithPermission(
        invoiceEmail,
        () => {
          ran = true;
        },
        { actionDetails: { subject: 'Free money' } },
      ),
    );
    assert.ok(error instanceof ScopeViolationError, String(error));
    assert.equal(ran, false);
    const [only, ...others] = (await otp.listPermissions()).data;
    assert.equal(others.length, 0);
    assert.equal(only?.status, 'approved');
    assert.equal(only?.usesRemaining, 1);
  });

  test('an operation that throws: the error propagates and the use stays spent (spent first)', async () => {
    const otp = await harness.client();
    const failure = new Error('SMTP down');
    const error = await rejection(
      otp.executeWithPermission(invoiceEmail, () => {
        throw failure;
      }),
    );
    assert.equal(error, failure);
    const [only, ...others] = (await otp.listPermissions()).data;
    assert.equal(others.length, 0);
    assert.equal(only?.status, 'used');
  });
});
