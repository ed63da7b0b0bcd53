import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: emails
  conditions: { action: { equals: gmail.send } }
  action: auto_approve
`;

describe('agent routes: authentication and isolation', () => {
  let t: TestRuntime;
  let alice: { id: string; apiKey: string };
  let bob: { id: string; apiKey: string };
  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    alice = await t.agent('alice');
    bob = await t.agent('bob');
  });
  after(() => t.close());

  const request = (key: string) =>
    t.call('POST', '/api/v1/permissions/request', { key, body: { action: 'gmail.send' } });

  it('refuses a missing, malformed, unknown or non-agent credential with 401', async () => {
    const missing = await t.call('POST', '/api/v1/permissions/request', { body: { action: 'gmail.send' } });
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, 'UNAUTHORIZED');
    for (const header of [
      'Basic abc',
      'Bearer',
      'Bearer ak_short',
      `Bearer ak_${'A'.repeat(43)}`,
      'Bearer uat_x',
      `Bearer otp_${'A'.repeat(43)}`,
    ]) {
      const res = await t.call('GET', '/api/v1/permissions', { headers: { authorization: header } });
      assert.equal(res.status, 401, header);
      assert.equal(res.body.error.code, 'UNAUTHORIZED');
      assert.ok(
        !JSON.stringify(res.body).includes(header.slice(7)) || header.length < 12,
        'credential not echoed',
      );
    }
  });

  it('hides other agents requests behind 404, for every route', async () => {
    const { body } = await request(alice.apiKey);
    const { id, token } = body.data;
    for (const [method, path, payload] of [
      ['GET', `/api/v1/permissions/${id}`, undefined],
      ['POST', `/api/v1/permissions/${id}/verify`, { token }],
      ['POST', `/api/v1/permissions/${id}/use`, { token }],
      ['POST', `/api/v1/permissions/${id}/revoke`, {}],
    ] as const) {
      const res = await t.call(method, path, { key: bob.apiKey, body: payload });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error.code, 'NOT_FOUND');
    }
    const list = await t.call('GET', '/api/v1/permissions', { key: bob.apiKey });
    assert.ok(list.body.data.every((p: { agentId: string }) => p.agentId === bob.id));
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'approved', 'untouched by bob');
  });

  it('refuses the token of another permission and a tampered token', async () => {
    const first = (await request(alice.apiKey)).body.data;
    const second = (await request(alice.apiKey)).body.data;
    const crossed = await t.call('POST', `/api/v1/permissions/${first.id}/use`, {
      key: alice.apiKey,
      body: { token: second.token },
    });
    assert.equal(crossed.status, 401);
    assert.equal(crossed.body.error.code, 'INVALID_TOKEN');
    const last = second.token.at(-1) === 'A' ? 'B' : 'A';
    const tampered = `${second.token.slice(0, -1)}${last}`;
    const res = await t.call('POST', `/api/v1/permissions/${second.id}/verify`, {
      key: alice.apiKey,
      body: { token: tampered },
    });
    assert.deepEqual(res.body.data, { valid: false, reason: 'INVALID_TOKEN' });
    assert.equal((await t.runtime.store.getPermission(second.id))?.usesRemaining, 1);
  });

  it('stops a disabled agent at once and lets a rotated key replace the old one', async () => {
    const carol = await t.agent('carol');
    assert.equal((await request(carol.apiKey)).status, 201);
    await t.runtime.agents.disable('carol', { type: 'user', id: 'admin' });
    const disabled = await request(carol.apiKey);
    assert.equal(disabled.status, 403);
    assert.equal(disabled.body.error.code, 'AGENT_DISABLED');
    await t.runtime.agents.enable('carol', { type: 'user', id: 'admin' });
    const { apiKey } = await t.runtime.agents.rotate('carol', { type: 'user', id: 'admin' });
    assert.equal((await request(carol.apiKey)).status, 401);
    assert.equal((await request(apiKey)).status, 201);
  });

  it('rate-limits each agent separately with Retry-After', async () => {
    const limited = await createTestRuntime({ policy: POLICY, env: { AGENT_OTP_RATE_LIMIT: '3' } });
    try {
      const a = await limited.agent('a');
      const b = await limited.agent('b');
      for (let i = 0; i < 3; i++) {
        assert.equal((await limited.call('GET', '/api/v1/permissions', { key: a.apiKey })).status, 200);
      }
      const over = await limited.call('GET', '/api/v1/permissions', { key: a.apiKey });
      assert.equal(over.status, 429);
      assert.equal(over.body.error.code, 'RATE_LIMITED');
      assert.equal(over.headers.get('retry-after'), '20');
      assert.equal(over.body.error.details.retryAfter, 20);
      assert.equal((await limited.call('GET', '/api/v1/permissions', { key: b.apiKey })).status, 200);
      limited.clock.advance(20_000);
      assert.equal((await limited.call('GET', '/api/v1/permissions', { key: a.apiKey })).status, 200);
    } finally {
      await limited.close();
    }
  });

  it('sends security headers and a request id on every response', async () => {
    const res = await t.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-123' } });
    assert.equal(res.headers.get('x-request-id'), 'trace-123');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const unsafe = await t.call('GET', '/healthz', { headers: { 'x-request-id': 'bad id <script>' } });
    assert.match(unsafe.headers.get('x-request-id') ?? '', /^req_/);
  });

  it('never writes keys or tokens to the logs', async () => {
    await request(alice.apiKey);
    const logs = t.logs();
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(alice.apiKey));
    assert.doesNotMatch(logs, /otp_[A-Za-z0-9_-]{43}/);
  });
});
