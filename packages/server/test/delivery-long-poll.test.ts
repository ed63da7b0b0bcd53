import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../src/testing.ts';
import { createTestRuntime } from './helpers.ts';
import { callJson } from './http-client.ts';

const POLICY = `
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  approvalTimeout: 600
`;

const TOKEN = /^otp_[A-Za-z0-9_-]{43}$/;

describe('long-poll delivery on a real server (GET ?wait=N)', () => {
  let server: TestServer;
  let key: string;
  let approver: string;

  const api = (method: string, path: string, token: string, body?: unknown) =>
    callJson(server.url, method, path, token, body);

  async function requestPending() {
    const response = await api('POST', '/api/v1/permissions/request', key, {
      action: 'bank.transfer',
      scope: { max_amount: 20 },
    });
    assert.equal(response.status, 202);
    return response.body.data.id as string;
  }

  before(async () => {
    server = await startTestServer({ policy: POLICY });
    key = (await server.createAgent('poller')).apiKey;
    const actor = { type: 'system', id: 'test' } as const;
    const { user } = await server.runtime.users.create({ name: 'alice', role: 'approver' }, actor);
    approver = (await server.runtime.users.createToken(user.id, 'tests', actor)).token;
  });
  after(() => server.close());

  it('a held GET ?wait=5 answers as soon as the approval lands, with the token', async () => {
    const id = await requestPending();
    const started = performance.now();
    const polling = api('GET', `/api/v1/permissions/${id}?wait=5`, key);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const approvedAt = performance.now();
    const approve = await api('POST', `/api/v1/approvals/${id}/approve`, approver, {});
    assert.equal(approve.body.data.outcome, 'approved');
    const polled = await polling;
    const answeredAt = performance.now();
    assert.ok(approvedAt - started >= 290, 'the poll was held while pending');
    assert.ok(
      answeredAt - approvedAt < 1000,
      `answered ${Math.round(answeredAt - approvedAt)} ms after the approve`,
    );
    assert.equal(polled.status, 200);
    assert.equal(polled.body.data.status, 'approved');
    assert.match(polled.body.data.token, TOKEN);
    assert.equal(
      (await server.runtime.store.getPermission(id))?.tokenHash,
      server.runtime.hasher.hash(polled.body.data.token),
    );
    const again = await api('GET', `/api/v1/permissions/${id}?wait=5`, key);
    assert.equal(again.body.data.token, undefined, 'a decided request answers at once, without the token');
  });

  it('a held GET returns a denial at once, with the reason and no token', async () => {
    const id = await requestPending();
    const polling = api('GET', `/api/v1/permissions/${id}?wait=5`, key);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const deniedAt = performance.now();
    await api('POST', `/api/v1/approvals/${id}/deny`, approver, { reason: 'no' });
    const polled = await polling;
    assert.ok(performance.now() - deniedAt < 1000);
    assert.equal(polled.body.data.status, 'denied');
    assert.match(polled.body.data.reason, /no/);
    assert.equal(polled.body.data.token, undefined);
  });

  it('GET ?wait=1 on a request still pending answers pending after about a second', async () => {
    const id = await requestPending();
    const started = performance.now();
    const polled = await api('GET', `/api/v1/permissions/${id}?wait=1`, key);
    const elapsed = performance.now() - started;
    assert.equal(polled.status, 200);
    assert.equal(polled.body.data.status, 'pending');
    assert.equal(polled.body.data.token, undefined);
    assert.ok(elapsed >= 950 && elapsed < 2500, `answered after ${Math.round(elapsed)} ms`);
  });

  it('GET ?wait=61 is refused with 400, as are other bad waits', async () => {
    const id = await requestPending();
    for (const wait of ['61', '-1', 'abc', '1.5']) {
      const polled = await api('GET', `/api/v1/permissions/${id}?wait=${wait}`, key);
      assert.equal(polled.status, 400, `wait=${wait}`);
      assert.equal(polled.body.error.code, 'VALIDATION_ERROR');
    }
  });
});

describe('long-poll in process under a fixed clock', () => {
  it('GET ?wait=1 on a pending request ends after about a second, though the clock never moves', async () => {
    const t = await createTestRuntime({ policy: POLICY });
    try {
      const { apiKey } = await t.agent('fixed-clock-poller');
      const request = await t.call('POST', '/api/v1/permissions/request', {
        key: apiKey,
        body: { action: 'bank.transfer' },
      });
      const started = performance.now();
      const polled = await t.call('GET', `/api/v1/permissions/${request.body.data.id}?wait=1`, {
        key: apiKey,
      });
      const elapsed = performance.now() - started;
      assert.equal(polled.body.data.status, 'pending');
      assert.ok(elapsed >= 950 && elapsed < 2500, `answered after ${Math.round(elapsed)} ms`);
    } finally {
      await t.close();
    }
  });
});
