import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FetchLike, ValidationError } from '../src/index.ts';
import { type Harness, rejection, startHarness } from './helpers.ts';

// Idempotent requests against the real server. Where an answer must be lost, the fetch below
// lets the request reach the server and be answered, then drops the answer on the floor as a
// connection reset would: the server acted, the client never heard.

const isRequest = (url: string, init: RequestInit) =>
  init.method === 'POST' && new URL(url).pathname === '/api/v1/permissions/request';

/** Loses the answer of the first `lose` permission requests; records each attempt's Idempotency-Key. */
function losingAnswers(lose = 1) {
  const keys: string[] = [];
  const fetchImpl: FetchLike = async (input, init) => {
    if (!isRequest(input, init)) return fetch(input, init);
    keys.push((init.headers as Record<string, string>)['idempotency-key'] ?? '');
    const response = await fetch(input, init);
    if (keys.length > lose) return response;
    await response.text();
    throw new TypeError('fetch failed', {
      cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    });
  };
  return { fetch: fetchImpl, keys };
}

describe('idempotent permission requests (SDK)', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  test('idempotencyKey: a repeated call returns the same pending permission, marked replayed', async () => {
    const otp = await harness.client();
    const request = { action: 'bank.transfer', scope: { max_amount: 10 }, idempotencyKey: 'step-42' };
    const first = await otp.requestPermission(request);
    const again = await otp.requestPermission(request);
    assert.equal(first.status, 'pending');
    assert.equal(again.status, 'pending');
    assert.equal(again.id, first.id);
    assert.equal(first.replayed, undefined);
    assert.equal(again.replayed, true);
    assert.equal((await otp.listPermissions()).data.length, 1);
  });

  test('parallel calls with one key create one permission', async () => {
    const otp = await harness.client();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        otp.requestPermission({ action: 'bank.wire', idempotencyKey: 'tool-call-1' }),
      ),
    );
    assert.equal(new Set(results.map((r) => r.id)).size, 1);
    assert.equal((await otp.listPermissions()).data.length, 1);
  });

  test('the same key with another request is refused: ValidationError IDEMPOTENCY_KEY_REUSED', async () => {
    const otp = await harness.client();
    await otp.requestPermission({ action: 'bank.transfer', idempotencyKey: 'k' });
    const error = await rejection(otp.requestPermission({ action: 'bank.refund', idempotencyKey: 'k' }));
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(error.status, 422);
  });

  test('a lost answer to a pending request is retried with the same key: still one request', async () => {
    const losing = losingAnswers();
    const otp = await harness.client({ fetch: losing.fetch });
    const result = await otp.requestPermission({ action: 'bank.transfer', scope: { max_amount: 3 } });
    assert.equal(result.status, 'pending');
    assert.equal(result.replayed, true, 'the answer came from the repeat');
    assert.equal(losing.keys.length, 2);
    assert.equal(losing.keys[0], losing.keys[1], 'the retry carried the same key');
    assert.match(losing.keys[0] ?? '', /^[0-9a-f-]{32,36}$/);
    const all = (await otp.listPermissions()).data;
    assert.deepEqual(
      all.map((p) => p.id),
      [result.id],
    );
  });

  test('each call gets its own key: two calls without one are two requests', async () => {
    const losing = losingAnswers(0);
    const otp = await harness.client({ fetch: losing.fetch });
    const a = await otp.requestPermission({ action: 'bank.transfer' });
    const b = await otp.requestPermission({ action: 'bank.transfer' });
    assert.notEqual(a.id, b.id);
    assert.notEqual(losing.keys[0], losing.keys[1]);
  });

  test('a lost auto-approval (its token gone with the answer) is revoked and requested anew', async () => {
    const losing = losingAnswers();
    const otp = await harness.client({ fetch: losing.fetch });
    const result = await otp.requestPermission({ action: 'gmail.send', resource: 'email:a@example.com' });
    assert.equal(result.status, 'approved');
    assert.match(result.token ?? '', /^otp_/);
    assert.equal(losing.keys.length, 3, 'lost, replayed without token, new request');
    assert.equal(losing.keys[0], losing.keys[1]);
    assert.notEqual(losing.keys[2], losing.keys[0]);
    const all = (await otp.listPermissions()).data;
    assert.equal(all.length, 2);
    const lost = all.find((p) => p.id !== result.id);
    assert.equal(lost?.status, 'revoked', 'the unusable permission does not stay live');
    await otp.useToken(result.id, result.token as string);
  });

  test("with the caller's own key, a replayed auto-approval rejects TOKEN_NOT_DELIVERED and revokes nothing", async () => {
    const otp = await harness.client();
    const request = { action: 'gmail.send', idempotencyKey: 'shared-step' };
    const first = await otp.requestPermission(request);
    assert.equal(first.status, 'approved');
    const error = await rejection(otp.requestPermission(request));
    assert.equal((error as { code?: string }).code, 'TOKEN_NOT_DELIVERED');
    assert.equal((await otp.getPermission(first.id)).status, 'approved', 'the holder of the token keeps it');
  });
});
