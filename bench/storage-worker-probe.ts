/**
 * A probe for a design question, not a test of the product: how fast could the three agent routes
 * be with no framework at all, and would moving their storage off the HTTP thread help? Servers
 * in their own processes, each measured with autocannon against a bare baseline in the same run:
 *
 * - `bare`: the bench's baseline (a small JSON POST answered with JSON).
 * - `inline`: bare node:http doing each route's durable work on the HTTP thread, as the server
 *   does: the HMAC of the agent key and an indexed read of the agent; then for a request a random
 *   token and its HMAC, one permission row and two hash-chained audit rows (SHA-256 over JSON);
 *   for a verify the permission's row, the token's HMAC compared and one audit row; for a use the
 *   same plus a conditional UPDATE of the uses left. A turn's writes share one SQLite transaction
 *   (group commit, WAL, synchronous=NORMAL), answered after COMMIT.
 * - `worker`: the same work with the SQLite connection and the audit hashing in a worker thread.
 *   The HTTP thread parses, hashes the key and the token, and answers; the agent read and the
 *   writes are messages (one per turn each way, carrying that turn's operations).
 *
 * No framework, middleware, policy, validation or logging: whatever these reach is a ceiling for
 * the product's shape of the work, not a figure of the product.
 *
 *   node --import tsx bench/storage-worker-probe.ts [--duration 5] [--connections 32]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
// @ts-expect-error: plain JavaScript, so that a worker thread can load it without tsx
import { API_KEY, hmac, openStorage, PERMISSION_ID, TOKEN } from './storage-worker-probe-storage.mjs';

type Route = 'request' | 'verify' | 'use';
type Write =
  | { kind: 'create'; id: string; agentId: string; action: string; tokenHash: string; now: number }
  | { kind: 'verify' | 'use'; permissionId: string; agentId: string; tokenHash: string };
type Agent = { id: string; status: string } | undefined;

interface Storage {
  agentByKey(keyHash: string): Promise<Agent>;
  /** Resolves after the COMMIT of the group the write joined, with its outcome. */
  write(op: Write): Promise<boolean>;
}

/** Storage on the HTTP thread: a turn's writes are one transaction. */
function inlineStorage(file: string): Storage {
  const storage = openStorage(file);
  let pending: { op: Write; done: (outcome: boolean) => void }[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    const outcomes: boolean[] = storage.commit(batch.map((b) => b.op));
    for (const [i, b] of batch.entries()) b.done(outcomes[i] ?? false);
  };
  return {
    agentByKey: async (keyHash) => storage.agentByKey(keyHash),
    write: (op) =>
      new Promise((resolve) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ op, done: resolve });
      }),
  };
}

type Message = { ref: number } & ({ kind: 'agent'; keyHash: string } | Write);

/** Storage in a worker thread: a turn's operations go as one message and come back as one. */
function workerStorage(file: string): Storage {
  const worker = new Worker(new URL('./storage-worker-probe-storage.mjs', import.meta.url), {
    workerData: { file },
  });
  const waiting = new Map<number, (value: unknown) => void>();
  let next = 0;
  let outbox: Message[] = [];
  worker.on('message', (replies: { ref: number; value: unknown }[]) => {
    for (const reply of replies) {
      waiting.get(reply.ref)?.(reply.value);
      waiting.delete(reply.ref);
    }
  });
  const send = (message: Message) =>
    new Promise<unknown>((resolve) => {
      waiting.set(message.ref, resolve);
      if (outbox.length === 0) {
        setImmediate(() => {
          worker.postMessage(outbox);
          outbox = [];
        });
      }
      outbox.push(message);
    });
  return {
    agentByKey: async (keyHash) => (await send({ ref: next++, kind: 'agent', keyHash })) as Agent,
    write: async (op) => (await send({ ref: next++, ...op })) as boolean,
  };
}

function answer(res: ServerResponse, status: number, body: unknown) {
  const out = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
  res.end(out);
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(null);
      }
    });
  });
}

/** What each route does once the agent is known, answered after its commit. */
async function handle(route: Route, storage: Storage, agentId: string, body: Record<string, unknown>) {
  if (route === 'request') {
    const token = `pt_${randomBytes(32).toString('base64url')}`;
    const id = `perm_${randomBytes(12).toString('base64url')}`;
    const action = String(body.action);
    await storage.write({ kind: 'create', id, agentId, action, tokenHash: hmac(token), now: Date.now() });
    return { status: 201, data: { id, status: 'approved', token } };
  }
  const tokenHash = hmac(String(body.token));
  const outcome = await storage.write({ kind: route, permissionId: PERMISSION_ID, agentId, tokenHash });
  return route === 'verify'
    ? { status: 200, data: { valid: outcome } }
    : { status: outcome ? 200 : 409, data: { used: outcome } };
}

function serveProbe(mode: 'bare' | 'inline' | 'worker', route: Route, file: string) {
  const storage = mode === 'inline' ? inlineStorage(file) : mode === 'worker' ? workerStorage(file) : null;
  const server = createServer(async (req, res) => {
    const body = await readJson(req);
    if (!storage) return answer(res, 200, { success: true, data: { received: body !== null } });
    const key = (req.headers.authorization ?? '').slice('Bearer '.length);
    const agent = await storage.agentByKey(hmac(key));
    if (agent?.status !== 'active' || !body) {
      return answer(res, 401, { success: false, error: { code: 'UNAUTHORIZED' } });
    }
    const { status, data } = await handle(route, storage, agent.id, body);
    answer(res, status, { success: true, data });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
}

const bodies: Record<Route, object> = {
  request: { action: 'email.send', resource: 'mail', scope: { to: 'a@example.com' } },
  verify: { token: TOKEN },
  use: { token: TOKEN, details: { to: 'a@example.com' } },
};

async function measure(mode: string, route: Route, file: string, duration: number, connections: number) {
  const script = fileURLToPath(import.meta.url);
  const child = fork(script, ['--serve', mode, route, file], { execArgv: process.execArgv });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/${route}`,
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(bodies[route]),
    connections,
    duration,
  });
  child.kill();
  return { rps: Math.round(result.requests.average), p99: result.latency.p99, non2xx: result.non2xx };
}

async function main() {
  const arg = (name: string, fallback: number) => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? Number(process.argv[at + 1]) : fallback;
  };
  const duration = arg('--duration', 5);
  const connections = arg('--connections', 32);
  const dir = mkdtempSync(join(tmpdir(), 'agent-otp-probe-'));
  try {
    const bare = await measure('bare', 'request', '', duration, connections);
    console.log(`bare: ${bare.rps} req/s, p99 ${bare.p99} ms`);
    for (const route of ['request', 'verify', 'use'] as const) {
      for (const mode of ['inline', 'worker']) {
        const m = await measure(mode, route, join(dir, `${mode}-${route}.db`), duration, connections);
        const ratio = (m.rps / bare.rps).toFixed(2);
        console.log(
          `${route}, ${mode}: ${m.rps} req/s, p99 ${m.p99} ms, non-2xx ${m.non2xx} → ${ratio}× of bare`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') {
  serveProbe(
    process.argv[3] as 'bare' | 'inline' | 'worker',
    process.argv[4] as Route,
    process.argv[5] ?? '',
  );
} else {
  await main();
}
