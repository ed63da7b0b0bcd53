import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

/** The pieces every load scenario shares: a server in its own process, and autocannon against it. */

export interface Permit {
  id: string;
  token: string;
}

export interface Started {
  child: ChildProcess;
  info: { port: number; apiKey?: string; userToken?: string; permits?: Permit[] };
}

/** Spawns a bench server script (with `env` added to this process's) and waits for its ready line. */
export async function start(
  script: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--conditions=agent-otp-source', '--import', 'tsx', new URL(script, import.meta.url).pathname, ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.startsWith('{"ready"')) return { child, info: JSON.parse(line) };
  }
  throw new Error(`${script} exited before it was ready`);
}

export function stop(started: Started): Promise<void> {
  if (started.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    started.child.once('exit', () => resolve());
    started.child.kill('SIGTERM');
  });
}

export interface Load {
  rps: number;
  p99_ms: number;
  p50_ms: number;
  errors: number;
  non2xx: number;
}

export async function load(
  options: autocannon.Options,
  connections: number,
  duration: number,
): Promise<Load> {
  const result = await autocannon({ connections, duration, ...options });
  return {
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/**
 * The same load split across several servers: one autocannon per server, all at once, each
 * with its share of the connections (autocannon cannot balance between hosts). Throughputs add
 * up; the latencies given are the worst of the servers' (a percentile of the whole is not kept).
 */
export async function loadSplit(
  perServer: autocannon.Options[],
  connections: number,
  duration: number,
): Promise<Load> {
  const share = Math.max(1, Math.round(connections / perServer.length));
  const results = await Promise.all(perServer.map((options) => load(options, share, duration)));
  return {
    rps: results.reduce((sum, r) => sum + r.rps, 0),
    p50_ms: Math.max(...results.map((r) => r.p50_ms)),
    p99_ms: Math.max(...results.map((r) => r.p99_ms)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

export const smallBody = JSON.stringify({
  action: 'file.read',
  resource: 'file:/data/notes.txt',
  scope: { size_limit: 1000 },
});

/** Connection settings of one server under test. */
function target(server: Started) {
  return {
    base: `http://127.0.0.1:${server.info.port}/api/v1/permissions`,
    headers: { authorization: `Bearer ${server.info.apiKey}`, 'content-type': 'application/json' },
  };
}

export interface Triple {
  request: Load;
  verify: Load;
  use: Load;
  /** Uses that had to take an already-spent token (they answer 409) because the pool ran out. */
  reused: number;
}

/**
 * Request (auto-approved), verify and use against `servers` (one, or several sharing one
 * database, the load split between them). `apiKey` is the agent's key (any instance accepts it
 * when they share the database); `permits` are fresh tokens, each spent at most once.
 */
export async function requestVerifyUse(
  servers: Started[],
  apiKey: string,
  permits: Permit[],
  connections: number,
  duration: number,
  measure: (scenario: string, run: () => Promise<Load>) => Promise<Load> = (_, run) => run(),
): Promise<Triple> {
  const targets = servers.map((server) => target({ ...server, info: { ...server.info, apiKey } }));
  const request = await measure('request', () =>
    loadSplit(
      targets.map(({ base, headers }) => ({
        url: `${base}/request`,
        method: 'POST',
        headers,
        body: smallBody,
      })),
      connections,
      duration,
    ),
  );
  const [first, ...rest] = permits;
  if (!first) throw new Error('no tokens were made for the verify and use scenarios');
  const verify = await measure('verify', () =>
    loadSplit(
      targets.map(({ base, headers }) => ({
        url: `${base}/${first.id}/verify`,
        method: 'POST',
        headers,
        body: JSON.stringify({ token: first.token }),
      })),
      connections,
      duration,
    ),
  );
  // One counter for every autocannon: each token goes to exactly one use, whichever server.
  let next = 0;
  const use = await measure('use', () =>
    loadSplit(
      targets.map(({ base, headers }) => ({
        url: `${base}/use`,
        method: 'POST',
        headers,
        requests: [
          {
            setupRequest: (request: autocannon.Request) => {
              const permit = rest[next++ % rest.length] as Permit;
              return {
                ...request,
                path: `/api/v1/permissions/${permit.id}/use`,
                body: JSON.stringify({ token: permit.token, actionDetails: { size: 10 } }),
              };
            },
          },
        ],
      })),
      connections,
      duration,
    ),
  );
  return { request, verify, use, reused: Math.max(0, next - rest.length) };
}
