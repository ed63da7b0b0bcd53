import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type PendingApprovalInfo, PermissionExpiredError, TimeoutError } from '../src/index.ts';
import { refusingStreams } from './fault-fetch.ts';
import { type Harness, rejection, startHarness } from './helpers.ts';

// Requests that wait for a human who does not decide: pending, timeout, abort, cancel, expiry.
// Decisions by a human are in approval.test.ts.

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(() => harness.close());

const transfer = { action: 'bank.transfer', resource: 'account:acme', scope: { max_amount: 100 } };

describe('pending permission', () => {
  test('without waitForApproval it resolves pending, with where to approve', async () => {
    const otp = await harness.client();
    const permission = await otp.requestPermission(transfer);
    assert.equal(permission.status, 'pending');
    if (permission.status !== 'pending') return;
    assert.equal(permission.approvalUrl, `http://localhost:${harness.server.port}/requests/${permission.id}`);
    assert.equal(
      permission.eventsUrl,
      `http://localhost:${harness.server.port}/api/v1/permissions/${permission.id}/events`,
    );
    assert.equal(permission.approvalsRequired, 1);
    assert.deepEqual(permission.scope, {});
    assert.equal(permission.token, undefined);
    assert.equal(permission.policy.decision, 'require_approval');
    const view = await otp.getPermission(permission.id);
    assert.equal(view.status, 'pending');
    assert.deepEqual(view.requestedScope, { max_amount: 100 });
  });

  test('waitForDecision with a short timeout rejects with TimeoutError, and the request stays pending', async () => {
    const otp = await harness.client();
    const permission = await otp.requestPermission(transfer);
    const started = Date.now();
    const error = await rejection(otp.waitForDecision(permission.id, { timeout: 1200 }));
    const elapsed = Date.now() - started;
    assert.ok(error instanceof TimeoutError, String(error));
    assert.equal(error.code, 'TIMEOUT');
    assert.ok(elapsed >= 1100 && elapsed < 4000, `took ${elapsed} ms`);
    assert.equal((await otp.getPermission(permission.id)).status, 'pending');
  });

  test('waitForDecision stops at once when its AbortSignal aborts, with the abort reason', async () => {
    const otp = await harness.client();
    const permission = await otp.requestPermission(transfer);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const error = await rejection(otp.waitForDecision(permission.id, { signal: controller.signal }));
    assert.ok(error instanceof Error && error.name === 'AbortError', String(error));
    assert.ok(Date.now() - started < 1500);

    const reason = new Error('shutting down');
    const aborted = await rejection(
      otp.waitForDecision(permission.id, { signal: AbortSignal.abort(reason) }),
    );
    assert.equal(aborted, reason);
  });

  test('without the event stream, the wait long-polls: one held read, not a read a second', async () => {
    const { fetch, traffic } = refusingStreams();
    const otp = await harness.client({ fetch });
    const permission = await otp.requestPermission(transfer);
    await rejection(otp.waitForDecision(permission.id, { timeout: 3500 }));
    // The server holds `?wait=25` until a change; the wait ends first, so one read is all.
    assert.equal(traffic.longPolls, 1, `${traffic.longPolls} reads in 3.5 s`);
  });

  test('revoke of a pending request cancels it; a waiter then resolves cancelled', async () => {
    const otp = await harness.client();
    const permission = await otp.requestPermission(transfer);
    const waiting = otp.waitForDecision(permission.id, { timeout: 10_000 });
    const view = await otp.revoke(permission.id);
    assert.equal(view.status, 'cancelled');
    const final = await waiting;
    assert.equal(final.status, 'cancelled');
    assert.equal(final.token, undefined);
    assert.equal(final.reason, 'cancelled by the agent');
  });

  test('requestPermission with waitForApproval: calls onPendingApproval, and cancels the request on timeout', async () => {
    const otp = await harness.client();
    const seen: PendingApprovalInfo[] = [];
    const error = await rejection(
      otp.requestPermission({
        ...transfer,
        waitForApproval: true,
        timeout: 500,
        onPendingApproval: (info) => {
          seen.push(info);
        },
      }),
    );
    assert.ok(error instanceof TimeoutError, String(error));
    assert.equal(seen.length, 1);
    const info = seen[0];
    assert.ok(info);
    assert.match(info.approvalUrl, /\/requests\/perm_/);
    const view = await otp.getPermission(info.id);
    assert.equal(view.status, 'cancelled');
  });

  test('requestPermission with waitForApproval cancels the request when aborted', async () => {
    const otp = await harness.client();
    const controller = new AbortController();
    let id = '';
    const error = await rejection(
      otp.requestPermission({
        ...transfer,
        waitForApproval: true,
        signal: controller.signal,
        onPendingApproval: (info) => {
          id = info.id;
          setTimeout(() => controller.abort(), 100);
        },
      }),
    );
    assert.ok(error instanceof Error && error.name === 'AbortError', String(error));
    assert.equal((await otp.getPermission(id)).status, 'cancelled');
  });

  test('a request nobody decides before its deadline resolves expired', async () => {
    const otp = await harness.client();
    const permission = await otp.requestPermission(transfer);
    const waiting = otp.waitForDecision(permission.id, { timeout: 15_000 });
    // Past the rule's 60 s approval timeout, on the server's clock.
    setTimeout(() => harness.clock.advance(61_000), 200);
    const final = await waiting;
    assert.equal(final.status, 'expired');
  });

  test('expiry reaches a long-polling waiter too (event stream unavailable)', async () => {
    const otp = await harness.client({ fetch: refusingStreams().fetch });
    const permission = await otp.requestPermission(transfer);
    const waiting = otp.waitForDecision(permission.id, { timeout: 15_000 });
    setTimeout(() => harness.clock.advance(61_000), 200);
    assert.equal((await waiting).status, 'expired');
  });

  test('executeWithPermission on a request that expires: PermissionExpiredError, operation never runs', async () => {
    const otp = await harness.client();
    let ran = false;
    let pending = 0;
    const error = await rejection(
      otp.executeWithPermission(
        {
          ...transfer,
          onPendingApproval: () => {
            pending += 1;
            setTimeout(() => harness.clock.advance(61_000), 200);
          },
        },
        () => {
          ran = true;
        },
      ),
    );
    assert.ok(error instanceof PermissionExpiredError, String(error));
    assert.equal(error.code, 'PERMISSION_EXPIRED');
    assert.equal(pending, 1);
    assert.equal(ran, false);
  });
});
