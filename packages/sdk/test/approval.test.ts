import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPollingWaiter, waitWithDeadline } from '../src/decision-waiter.ts';
import {
  AgentOTPClient,
  AgentOTPError,
  type PendingApprovalInfo,
  type PermissionResult,
  TimeoutError,
} from '../src/index.ts';
import { resolveSettings } from '../src/options.ts';
import { asView } from '../src/results.ts';
import { createSseWaiter } from '../src/sse-waiter.ts';
import { createTransport } from '../src/transport.ts';
import {
  refusingStreams,
  streamsDroppingTheToken,
  streamsEndingEarly,
  type Traffic,
  watchedFetch,
} from './fault-fetch.ts';
import { type Decided, eventually, type Harness, rejection, startHarness } from './helpers.ts';

// A human decides while the agent waits. The human uses the approval API with a user token,
// exactly as the dashboard, the CLI or Telegram would; the agent waits on the event stream, or
// long-polls when the stream fails.

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(() => harness.close());

const transfer = { action: 'bank.transfer', resource: 'account:acme', scope: { max_amount: 100 } };

interface Outcome {
  otp: AgentOTPClient;
  permission: PermissionResult;
  decision: Decided;
  /** ms from sending the human's decision to the agent holding the result. */
  latency: number;
}

/**
 * Requests with `waitForApproval` as agent `fetch` sees it, and lets a human decide 150 ms
 * after the request went pending, so the agent is already waiting when the decision comes.
 */
async function requestDecidedBy(
  decision: 'approve' | 'deny',
  body: Record<string, unknown>,
  fetchImpl = watchedFetch(),
): Promise<Outcome & { traffic: Traffic }> {
  const otp = await harness.client({ fetch: fetchImpl.fetch });
  let decided: Promise<Decided> | undefined;
  let sentAt = 0;
  const permission = await otp.requestPermission({
    ...transfer,
    waitForApproval: true,
    onPendingApproval: (info: PendingApprovalInfo) => {
      decided = new Promise((resolve) => setTimeout(resolve, 150)).then(() => {
        sentAt = Date.now();
        return harness.decide(info.id, decision, body);
      });
    },
  });
  const latency = Date.now() - sentAt;
  assert.ok(decided, 'onPendingApproval was not called');
  return { otp, permission, decision: await decided, latency, traffic: fetchImpl.traffic };
}

describe('human approval', () => {
  test('approved while the agent waits: the token arrives over the event stream within moments', async () => {
    const { permission, decision, latency, traffic } = await requestDecidedBy('approve', {
      scope: { max_amount: 50 },
    });
    assert.equal(decision.status, 200);
    assert.equal(decision.body.data?.outcome, 'approved');
    assert.equal(permission.status, 'approved');
    assert.match(permission.token ?? '', /^otp_/);
    assert.equal(permission.scope.max_amount, 50, 'the approver narrowed the scope');
    // Pushed, so typically a few ms; the bound is generous for a loaded machine.
    assert.ok(latency < 3000, `the token arrived ${latency} ms after the approval was sent`);
    assert.deepEqual(traffic, { streams: 1, longPolls: 0 });

    // The token works, and the stream was closed once the decision was in (the server would
    // keep it open until the token is used or expires).
    assert.ok(await eventually(() => harness.waitersOn(permission.id) === 0), 'the stream stayed open');
  });

  test('the delivered token is spendable once, and no later read carries it again', async () => {
    const { otp, permission } = await requestDecidedBy('approve', {});
    const token = permission.token ?? '';
    assert.equal((await otp.getPermission(permission.id)).token, undefined);
    assert.equal((await otp.useToken(permission.id, token, { amount: 20 })).success, true);
    await assert.rejects(otp.useToken(permission.id, token), { code: 'TOKEN_USED' });
  });

  test('denied while the agent waits: resolves denied with the approver’s reason', async () => {
    const { permission, decision, latency } = await requestDecidedBy('deny', { reason: 'not this month' });
    assert.equal(decision.status, 200);
    assert.equal(permission.status, 'denied');
    assert.equal(permission.token, undefined);
    assert.match(permission.reason ?? '', /not this month/);
    assert.ok(latency < 3000, `the denial arrived after ${latency} ms`);
  });

  test('events endpoint unreachable: the SDK long-polls instead and still gets the token', async () => {
    const { permission, latency, traffic } = await requestDecidedBy('approve', {}, refusingStreams());
    assert.equal(permission.status, 'approved');
    assert.match(permission.token ?? '', /^otp_/);
    assert.equal(traffic.streams, 1, 'the stream is tried once per wait');
    assert.equal(traffic.longPolls, 1, 'one held read, answered by the approval');
    assert.ok(latency < 3000, `the token arrived ${latency} ms after the approval was sent`);
  });

  test('stream closed while still pending: the SDK goes on with the long-poll', async () => {
    const { permission, traffic } = await requestDecidedBy('approve', {}, streamsEndingEarly());
    assert.equal(permission.status, 'approved');
    assert.match(permission.token ?? '', /^otp_/);
    assert.equal(traffic.longPolls, 1);
  });

  test('stream dropped as it carried the token: TOKEN_NOT_DELIVERED, not a wait for ever', async () => {
    const error = await rejection(requestDecidedBy('approve', {}, streamsDroppingTheToken()));
    assert.ok(error instanceof AgentOTPError, String(error));
    assert.equal(error.code, 'TOKEN_NOT_DELIVERED');
  });
});

describe('stopping a wait on the event stream', () => {
  test('abort: rejects at once with the reason, and the stream is closed', async () => {
    const otp = await harness.client();
    const pending = await otp.requestPermission(transfer);
    const controller = new AbortController();
    const waiting = otp.waitForDecision(pending.id, { signal: controller.signal });
    assert.ok(await eventually(() => harness.waitersOn(pending.id) === 1), 'the stream never opened');
    const reason = new Error('shutting down');
    controller.abort(reason);
    assert.equal(await rejection(waiting), reason);
    assert.ok(await eventually(() => harness.waitersOn(pending.id) === 0), 'the stream stayed open');
    assert.equal((await otp.getPermission(pending.id)).status, 'pending');
  });

  test('timeout: TimeoutError, and the stream is closed', async () => {
    const otp = await harness.client();
    const pending = await otp.requestPermission(transfer);
    const error = await rejection(otp.waitForDecision(pending.id, { timeout: 400 }));
    assert.ok(error instanceof TimeoutError, String(error));
    assert.ok(await eventually(() => harness.waitersOn(pending.id) === 0), 'the stream stayed open');
  });

  test('a decision made before the wait starts is the stream’s first event', async () => {
    const otp = await harness.client();
    const pending = await otp.requestPermission(transfer);
    await harness.decide(pending.id, 'approve');
    const final = await otp.waitForDecision(pending.id, { timeout: 5000 });
    assert.equal(final.status, 'approved');
    assert.match(final.token ?? '', /^otp_/);
  });
});

test('a stream that goes silent counts as dropped: the wait moves to the long-poll', async () => {
  // The client's 45 s idle limit, shortened: the waiter is assembled here as the client does it.
  // The server sends its first event and then nothing until the 15 s keep-alive.
  const { fetch, traffic } = watchedFetch();
  const agent = await harness.server.createAgent('silent-stream');
  const transport = createTransport(
    resolveSettings({ apiKey: agent.apiKey, baseUrl: harness.server.url, fetch }),
  );
  const longPoll = createPollingWaiter(async (id, wait, signal) => {
    const body = await transport.send({
      method: 'GET',
      path: `/permissions/${id}`,
      query: { wait },
      retry: 'safe',
      signal,
    });
    return asView(body.data);
  });
  const open = (id: string, signal: AbortSignal) => transport.openStream(`/permissions/${id}/events`, signal);
  const waiter = createSseWaiter(open, longPoll, { idleTimeoutMs: 300 });

  const otp = new AgentOTPClient({ apiKey: agent.apiKey, baseUrl: harness.server.url });
  const pending = await otp.requestPermission(transfer);
  const waiting = waitWithDeadline(waiter, pending.id, { timeout: 10_000 });
  assert.ok(await eventually(() => traffic.longPolls === 1), 'the silent stream was never given up');
  await harness.decide(pending.id, 'approve');
  const view = await waiting;
  assert.equal(view.status, 'approved');
  assert.match(view.token ?? '', /^otp_/);
  assert.equal(traffic.streams, 1);
});
