import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestServer } from '@agent-otp/server';
import {
  AgentOTPClient,
  type FetchLike,
  NetworkError,
  SDK_VERSION,
  ServerError,
  TimeoutError,
} from '../src/index.ts';
import { type Harness, rejection, startHarness } from './helpers.ts';

// Retries and transport failures. The Agent OTP server is real; for failures it cannot be made
// to produce on demand (a 500, a dropped connection, silence) a bare node:http server plays the
// broken server — it fails the way a real one would, it does not hand back hoped-for answers.

const KEY = `ak_${'k'.repeat(43)}`;
const ID = 'perm_0123456789abcdef';

/** Wraps the global fetch to count attempts by method; requests still go over the network. */
function countingFetch() {
  const calls = { GET: 0, POST: 0 };
  const fetchImpl: FetchLike = (input, init) => {
    calls[init.method as 'GET' | 'POST'] += 1;
    return fetch(input, init);
  };
  return { calls, fetch: fetchImpl };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function brokenServer(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('transport', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  test('the fetch option is used for every call, with the SDK user agent', async () => {
    const counting = countingFetch();
    const agents: string[] = [];
    const otp = await harness.client({
      fetch: (input, init) => {
        agents.push(String((init.headers as Record<string, string>)['user-agent']));
        return counting.fetch(input, init);
      },
    });
    const permission = await otp.requestPermission({ action: 'gmail.send' });
    await otp.getPermission(permission.id);
    assert.deepEqual(counting.calls, { GET: 1, POST: 1 });
    assert.deepEqual(agents, [`agent-otp-sdk/${SDK_VERSION}`, `agent-otp-sdk/${SDK_VERSION}`]);
  });

  test('a closed port: NetworkError after 1 + maxRetries attempts, also for POST (never sent)', async () => {
    const gone = await startTestServer();
    const url = gone.url;
    await gone.close();
    const counting = countingFetch();
    const otp = new AgentOTPClient({ apiKey: KEY, baseUrl: url, fetch: counting.fetch, maxRetries: 2 });
    const error = await rejection(otp.requestPermission({ action: 'gmail.send' }));
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.code, 'NETWORK_ERROR');
    assert.equal(error.status, undefined);
    assert.ok(error.cause, 'the fetch error is kept as cause');
    assert.equal(counting.calls.POST, 3);

    const noRetry = new AgentOTPClient({ apiKey: KEY, baseUrl: url, fetch: counting.fetch, maxRetries: 0 });
    assert.ok((await rejection(noRetry.getPermission(ID))) instanceof NetworkError);
    assert.equal(counting.calls.GET, 1);
  });

  test('a 500 is retried for reads and keyed requests, never for use', async () => {
    const broken = await brokenServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json', 'x-request-id': 'req_broken' });
      res.end(
        JSON.stringify({
          success: false,
          error: { code: 'INTERNAL_ERROR', message: 'boom', requestId: 'req_1' },
        }),
      );
    });
    try {
      const counting = countingFetch();
      const otp = new AgentOTPClient({
        apiKey: KEY,
        baseUrl: broken.url,
        fetch: counting.fetch,
        maxRetries: 2,
      });
      const read = await rejection(otp.getPermission(ID));
      assert.ok(read instanceof ServerError, String(read));
      assert.equal(read.code, 'INTERNAL_ERROR');
      assert.equal(read.status, 500);
      assert.equal(read.requestId, 'req_1');
      assert.equal(counting.calls.GET, 3);
      assert.ok((await rejection(otp.verifyToken(ID, 'otp_x'))) instanceof ServerError);
      assert.equal(counting.calls.POST, 3, 'verify is a read: retried');

      assert.ok((await rejection(otp.useToken(ID, 'otp_x'))) instanceof ServerError);
      assert.equal(counting.calls.POST, 4, 'use: one attempt');
      assert.ok((await rejection(otp.requestPermission({ action: 'gmail.send' }))) instanceof ServerError);
      assert.equal(counting.calls.POST, 7, 'request carries an Idempotency-Key: retried');
    } finally {
      await close(broken.server);
    }
  });

  test('a connection dropped after the request was sent: reads retried, use not', async () => {
    const broken = await brokenServer((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    try {
      const counting = countingFetch();
      const otp = new AgentOTPClient({
        apiKey: KEY,
        baseUrl: broken.url,
        fetch: counting.fetch,
        maxRetries: 2,
      });
      assert.ok((await rejection(otp.useToken(ID, 'otp_x'))) instanceof NetworkError);
      assert.equal(counting.calls.POST, 1, 'the use may have happened: not repeated');
      assert.ok((await rejection(otp.getPermission(ID))) instanceof NetworkError);
      assert.equal(counting.calls.GET, 3);
    } finally {
      await close(broken.server);
    }
  });

  test('a server that never answers: TimeoutError after timeoutMs', async () => {
    const silent = await brokenServer(() => {});
    try {
      const counting = countingFetch();
      const otp = new AgentOTPClient({
        apiKey: KEY,
        baseUrl: silent.url,
        fetch: counting.fetch,
        timeoutMs: 200,
        maxRetries: 1,
      });
      const started = Date.now();
      const error = await rejection(otp.requestPermission({ action: 'gmail.send' }));
      assert.ok(error instanceof TimeoutError, String(error));
      assert.ok(Date.now() - started < 2000);
      assert.equal(counting.calls.POST, 2, 'a keyed request is repeated once (maxRetries 1)');
    } finally {
      await close(silent.server);
    }
  });

  test('a 200 that is not the Agent OTP envelope is a ServerError, not a result', async () => {
    const other = await brokenServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login page</html>');
    });
    try {
      const otp = new AgentOTPClient({ apiKey: KEY, baseUrl: other.url });
      const error = await rejection(otp.requestPermission({ action: 'gmail.send' }));
      assert.ok(error instanceof ServerError, String(error));
      assert.equal(error.code, 'UNEXPECTED_RESPONSE');
    } finally {
      await close(other.server);
    }
  });
});
