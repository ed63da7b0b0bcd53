import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createFixedClock } from '@agent-otp/core';
import { getRequestListener } from '@hono/node-server';
import { fastRoutesListener } from '../src/http/fast-routes/listener.ts';
import { startTestServer, type TestServer } from '../src/testing.ts';
import { type RawAnswer, rawCall } from './fast-routes-client.ts';

const POLICY = `
- name: file reads
  conditions:
    action: { equals: file.read }
  action: auto_approve
  scopeTemplate: { max_size: 1048576, allowed_extensions: [".txt"] }
- name: emails
  conditions: { action: { equals: gmail.send } }
  action: auto_approve
- name: money
  conditions: { action: { startsWith: bank. } }
  action: require_approval
- name: deletes
  conditions: { action: { equals: file.delete } }
  action: deny
`;
const ENV = { AGENT_OTP_BODY_LIMIT: '2048', AGENT_OTP_RATE_LIMIT: '30' };
const START = Date.UTC(2026, 5, 1, 12);

/** Values that differ between two servers doing the same things: ids, tokens, keys, ports. */
function normalise(text: string): string {
  return text.replace(/\b([a-z]+)_[A-Za-z0-9_-]{10,}/g, '$1_X').replace(/localhost:\d+/g, 'localhost:PORT');
}

/** An answer as compared: status, body, and every header but Date (values of ids normalised). */
function comparable(answer: RawAnswer) {
  const headers = { ...answer.headers };
  delete headers.date;
  assert.equal(Number(headers['content-length']), Buffer.byteLength(answer.text), 'content-length');
  return {
    status: answer.status,
    headers: JSON.parse(normalise(JSON.stringify(headers))),
    body: normalise(answer.text),
  };
}

/**
 * The same requests, in the same order, against one server: every happy path and refusal of the
 * three hot routes, and the shapes the fast path leaves to Hono. Answers in order, comparable.
 */
async function scenario(server: TestServer) {
  const base = server.url;
  const key = (await server.createAgent('bot')).apiKey;
  const off = (await server.createAgent('off')).apiKey;
  const greedy = (await server.createAgent('greedy')).apiKey;
  await server.runtime.agents.disable('off', { type: 'system', id: 'test' });
  const json = (apiKey: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${apiKey}`,
    'content-type': 'application/json',
    ...extra,
  });
  const answers: ReturnType<typeof comparable>[] = [];
  const call = async (path: string, options: Parameters<typeof rawCall>[2]) => {
    const answer = await rawCall(base, path, options);
    answers.push(comparable(answer));
    return answer;
  };
  const post = (path: string, body: unknown, headers: Record<string, string> = json(key)) =>
    call(path, { headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  const read = JSON.parse(
    (await post('/api/v1/permissions/request', { action: 'file.read', scope: { max_size: 10 } })).text,
  );
  const { id, token } = read.data;
  await post('/api/v1/permissions/request', {
    action: 'bank.transfer',
    resource: null,
    context: { why: 'rent' },
  });
  await post('/api/v1/permissions/request', { action: 'file.delete', ttl: 60 });
  const idem = json(key, { 'idempotency-key': 'k-1' });
  await post('/api/v1/permissions/request', { action: 'gmail.send' }, idem);
  await post('/api/v1/permissions/request', { action: 'gmail.send' }, idem);
  await post('/api/v1/permissions/request', { action: 'gmail.send', resource: 'x' }, idem);
  await post(`/api/v1/permissions/${id}/verify`, { token });
  await post(`/api/v1/permissions/${id}/verify`, { token: 'not-the-token' });
  await post(`/api/v1/permissions/${id}/use`, { token, actionDetails: { path: '/etc/passwd.sh', size: 5 } });
  await post(`/api/v1/permissions/${id}/use`, { token, actionDetails: { path: '/a.txt', size: 5 } });
  await post(`/api/v1/permissions/${id}/use`, { token });
  await post(`/api/v1/permissions/${id}/verify`, { token }, json(key, { 'x-request-id': 'caller-id-1' }));
  // Refusals after the fast path has read the body.
  await post('/api/v1/permissions/request', { action: 'file.read' }, json('ak_wrongwrongwrongwrong'));
  await post('/api/v1/permissions/request', { action: 'file.read' }, json(off));
  await post('/api/v1/permissions/perm_AAAAAAAAAAAAAAAAAAAA/use', { token });
  await post('/api/v1/permissions/perm_AAAAAAAAAAAAAAAAAAAA/verify', { token });
  // What the fast checks are not sure of: Hono answers, with the buffered body.
  await post('/api/v1/permissions/request', '{"action": ');
  await post('/api/v1/permissions/request', '[1,2]');
  await post('/api/v1/permissions/request', { action: 'a.b', ttl: 5 });
  await post('/api/v1/permissions/request', { action: 'a.b', scopes: {} });
  await post(`/api/v1/permissions/${id}/verify`, { token: '' });
  await post(`/api/v1/permissions/${id}/use`, { token, extra: 1 });
  // What the fast path leaves to Hono before reading the body.
  await post('/api/v1/permissions/request', { action: 'file.read' }, { 'content-type': 'application/json' });
  await post(
    '/api/v1/permissions/request',
    { action: 'file.read' },
    json(key, { authorization: 'Basic abc' }),
  );
  await post(
    '/api/v1/permissions/request',
    { action: 'file.read' },
    json(key, { authorization: 'Bearer  ak_x y' }),
  );
  await post(
    '/api/v1/permissions/request',
    'action=a',
    json(key, { 'content-type': 'application/x-www-form-urlencoded' }),
  );
  await post(
    '/api/v1/permissions/request',
    { action: 'gmail.send' },
    json(key, { 'content-type': 'application/vnd.x+json' }),
  );
  await post('/api/v1/permissions/request', { action: 'a.b', context: { note: 'x'.repeat(4096) } });
  await post(
    '/api/v1/permissions/request',
    { action: 'gmail.send' },
    json(key, { 'x-request-id': 'not safe!' }),
  );
  await call('/api/v1/permissions/request', {
    headers: { ...json(key), authorization: [`Bearer ${key}`, 'Bearer ak_wrongwrongwrongwrong'] },
    body: '{"action":"gmail.send"}',
  });
  await post('/api/v1/permissions/request?x=1', { action: 'gmail.send' });
  await post('/api/v1/permissions/not-an-id/verify', { token });
  await call('/api/v1/permissions/request', {
    headers: json(key),
    body: '{"action":"gmail.send"}',
    chunked: true,
  });
  await call('/api/v1/permissions/request', { headers: json(key), body: '' });
  await call('/api/v1/permissions/request', { method: 'PUT', headers: json(key), body: '{}' });
  // The rate limit: the same budget whichever path serves the agent.
  for (let i = 0; i < 31; i++) {
    const answer = await rawCall(base, `/api/v1/permissions/${id}/verify`, {
      headers: json(greedy),
      body: JSON.stringify({ token }),
    });
    if (i >= 29) answers.push(comparable(answer));
  }
  return answers;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the hot agent routes: the plain node:http path answers as the Hono app does', () => {
  let fast: TestServer;
  let hono: TestServer;
  before(async () => {
    fast = await startTestServer({ policy: POLICY, env: ENV, runtime: { clock: createFixedClock(START) } });
    hono = await startTestServer({
      policy: POLICY,
      env: ENV,
      runtime: { clock: createFixedClock(START), fastPath: false },
    });
  });
  after(async () => {
    await fast?.close();
    await hono?.close();
  });

  it('gives the same status, headers and body to every request of the scenario', async () => {
    const viaFast = await scenario(fast);
    const viaHono = await scenario(hono);
    assert.equal(viaFast.length, viaHono.length);
    for (let i = 0; i < viaFast.length; i++) assert.deepEqual(viaFast[i], viaHono[i], `request ${i}`);
    const statuses = viaFast.map((answer) => answer.status);
    for (const status of [200, 201, 202, 400, 401, 403, 404, 409, 413, 415, 422, 429]) {
      assert.ok(statuses.includes(status), `the scenario covers ${status}`);
    }
    const limited = viaFast.at(-1);
    assert.equal(limited?.status, 429);
    assert.ok(limited?.headers['retry-after'], 'Retry-After on 429');
  });

  it('records the same metrics (route labels) on both paths', async () => {
    const lines = async (server: TestServer) =>
      (await server.runtime.metrics.registry.metrics())
        .split('\n')
        .filter(
          (line) => line.startsWith('agent_otp_http_requests_total') && line.includes('/api/v1/permissions'),
        )
        .sort();
    const viaFast = await lines(fast);
    assert.ok(viaFast.some((line) => line.includes('route="/api/v1/permissions/:id/verify"')));
    assert.deepEqual(viaFast, await lines(hono));
  });

  it('serves a plain request without the Hono app, and hands other shapes to it untouched', async () => {
    let handedOver = 0;
    const honoListener = getRequestListener(fast.runtime.app.fetch);
    const server = createServer(
      fastRoutesListener(fast.runtime.fastRoutes, (req, res) => {
        handedOver++;
        return honoListener(req, res);
      }),
    );
    const base = await listen(server);
    try {
      const key = (await fast.createAgent('counted')).apiKey;
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const plain = await rawCall(base, '/api/v1/permissions/request', {
        headers,
        body: '{"action":"gmail.send"}',
      });
      assert.equal(plain.status, 201);
      assert.equal(handedOver, 0);
      const chunked = await rawCall(base, '/api/v1/permissions/request', {
        headers,
        body: '{"action":"gmail.send"}',
        chunked: true,
      });
      assert.equal(chunked.status, 201);
      assert.equal(handedOver, 1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('spends a token exactly once under concurrent uses through the fast path', async () => {
    const key = (await fast.createAgent('racer')).apiKey;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const { data } = JSON.parse(
      (await rawCall(fast.url, '/api/v1/permissions/request', { headers, body: '{"action":"gmail.send"}' }))
        .text,
    );
    const body = JSON.stringify({ token: data.token });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        rawCall(fast.url, `/api/v1/permissions/${data.id}/use`, { headers, body }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.equal(statuses.filter((status) => status === 200).length, 1, statuses.join());
    assert.ok(
      statuses.every((status) => status === 200 || status === 409),
      statuses.join(),
    );
  });
});
