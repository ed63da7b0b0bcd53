import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestServer } from '../src/testing.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;

/** A POST over a real socket, its body sent in `chunks` with chunked transfer encoding (no length). */
function postChunked(
  server: Server,
  key: string,
  chunks: string[],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: '/api/v1/permissions/request',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('agent routes: bodies read from the socket', () => {
  let server: Server;
  let key: string;
  before(async () => {
    server = await startTestServer({ env: { AGENT_OTP_BODY_LIMIT: '2048', AGENT_OTP_LOG_LEVEL: 'warn' } });
    key = (await server.createAgent('streamer')).apiKey;
  });
  after(() => server.close());

  it('a body sent in pieces without a length is read whole', async () => {
    const res = await postChunked(server, key, ['{"action":', '"file.read",', '"scope":{}}']);
    assert.equal(res.status, 200, res.body);
    assert.equal(JSON.parse(res.body).success, true);
  });

  it('a chunked body past the limit is answered 413 PAYLOAD_TOO_LARGE, not a reset connection', async () => {
    const piece = 'x'.repeat(1000);
    const body = JSON.stringify({ action: 'file.read', context: { note: piece.repeat(50) } });
    const chunks = Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) =>
      body.slice(i * 1000, (i + 1) * 1000),
    );
    const res = await postChunked(server, key, chunks);
    assert.equal(res.status, 413, res.body);
    assert.equal(JSON.parse(res.body).error.code, 'PAYLOAD_TOO_LARGE');
  });
});
