import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../src/testing.ts';
import { callJson } from './http-client.ts';

const POLICY = `
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  approvalTimeout: 600
`;

const TOKEN = /^otp_[A-Za-z0-9_-]{43}$/;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON the assertions pick apart
type Json = any;

interface SseEvent {
  event: string;
  id: string;
  data: Json;
}

/** Reads Server-Sent Events off a fetch response, one `next()` at a time; `null` when the stream ended. */
function sseReader(response: Response) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(timeoutMs = 3000): Promise<SseEvent | null> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue; // a keepalive comment
            const colon = line.indexOf(':');
            const name = line.slice(0, colon);
            fields[name] =
              (fields[name] ? `${fields[name]}\n` : '') + line.slice(colon + 1).replace(/^ /, '');
          }
          if (fields.data === undefined) continue;
          return { event: fields.event ?? 'message', id: fields.id ?? '', data: JSON.parse(fields.data) };
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no SSE event within ${timeoutMs} ms`);
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no SSE event within ${timeoutMs} ms`)), left);
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk.done) return null;
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('SSE delivery on a real server (GET /permissions/:id/events)', () => {
  let server: TestServer;
  let key: string;
  let approver: string;

  const api = (method: string, path: string, token: string, body?: unknown) =>
    callJson(server.url, method, path, token, body);

  async function requestPending() {
    const response = await api('POST', '/api/v1/permissions/request', key, {
      action: 'bank.transfer',
      scope: { max_amount: 30 },
    });
    assert.equal(response.status, 202);
    return response.body.data as { id: string; eventsUrl: string };
  }

  const open = (id: string, agentKey = key) =>
    fetch(`${server.url}/api/v1/permissions/${id}/events`, {
      headers: { authorization: `Bearer ${agentKey}` },
    });

  before(async () => {
    server = await startTestServer({ policy: POLICY });
    key = (await server.createAgent('streamer')).apiKey;
    const actor = { type: 'system', id: 'test' } as const;
    const { user } = await server.runtime.users.create({ name: 'alice', role: 'approver' }, actor);
    approver = (await server.runtime.users.createToken(user.id, 'tests', actor)).token;
  });
  after(() => server.close());

  it('first the pending state, then approved with the token, delivered once', async () => {
    const { id, eventsUrl } = await requestPending();
    assert.equal(new URL(eventsUrl).pathname, `/api/v1/permissions/${id}/events`);
    const response = await open(id);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = sseReader(response);
    try {
      const first = await events.next();
      assert.equal(first?.event, 'permission');
      assert.equal(first?.data.id, id);
      assert.equal(first?.data.status, 'pending');
      assert.equal(first?.data.token, undefined);

      const approve = await api('POST', `/api/v1/approvals/${id}/approve`, approver, {});
      assert.equal(approve.body.data.outcome, 'approved');
      const second = await events.next();
      assert.equal(second?.data.status, 'approved');
      assert.match(second?.data.token, TOKEN);
      assert.equal(
        (await server.runtime.store.getPermission(id))?.tokenHash,
        server.runtime.hasher.hash(second?.data.token),
      );

      const read = await api('GET', `/api/v1/permissions/${id}`, key);
      assert.equal(read.body.data.status, 'approved');
      assert.equal(read.body.data.token, undefined, 'the stream delivered it; no second reader gets it');

      // Spending the token is a terminal state: the stream reports it and ends.
      const use = await api('POST', `/api/v1/permissions/${id}/use`, key, { token: second?.data.token });
      assert.equal(use.status, 200);
      let last = await events.next();
      while (last && last.data.status !== 'used') {
        assert.equal(last.data.token, undefined, 'the token rides on one event only');
        last = await events.next();
      }
      assert.equal(last?.data.status, 'used');
      assert.equal(await events.next(), null, 'the stream ends at a terminal state');
    } finally {
      await events.cancel();
    }
  });

  it('a denial is sent, and then the stream ends', async () => {
    const { id } = await requestPending();
    const events = sseReader(await open(id));
    try {
      assert.equal((await events.next())?.data.status, 'pending');
      await api('POST', `/api/v1/approvals/${id}/deny`, approver, { reason: 'not now' });
      const denied = await events.next();
      assert.equal(denied?.data.status, 'denied');
      assert.match(denied?.data.reason, /not now/);
      assert.equal(denied?.data.token, undefined);
      assert.equal(await events.next(), null);
    } finally {
      await events.cancel();
    }
  });

  it('a request approved before the stream opens: the first event carries the token, a second stream does not', async () => {
    const { id } = await requestPending();
    await api('POST', `/api/v1/approvals/${id}/approve`, approver, {});
    const first = sseReader(await open(id));
    try {
      const event = await first.next();
      assert.equal(event?.data.status, 'approved');
      assert.match(event?.data.token, TOKEN);
    } finally {
      await first.cancel();
    }
    const second = sseReader(await open(id));
    try {
      const event = await second.next();
      assert.equal(event?.data.status, 'approved');
      assert.equal(event?.data.token, undefined);
    } finally {
      await second.cancel();
    }
  });

  it('an already terminal request sends its state once and ends', async () => {
    const { id } = await requestPending();
    await api('POST', `/api/v1/permissions/${id}/revoke`, key);
    const events = sseReader(await open(id));
    assert.equal((await events.next())?.data.status, 'cancelled');
    assert.equal(await events.next(), null);
  });

  it("another agent's id is 404 before any stream opens; no key is 401", async () => {
    const { id } = await requestPending();
    const other = (await server.createAgent('other-streamer')).apiKey;
    const foreign = await open(id, other);
    assert.equal(foreign.status, 404);
    assert.match(foreign.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(((await foreign.json()) as Json).error.code, 'NOT_FOUND');
    const unknown = await open('perm_doesnotexist0000');
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const anonymous = await fetch(`${server.url}/api/v1/permissions/${id}/events`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const human = await open(id, approver);
    assert.equal(human.status, 401, 'a user token is no agent key');
    await human.body?.cancel();
    assert.equal((await server.runtime.store.getPermission(id))?.status, 'pending');
  });
});
