import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';

/**
 * Soak: `requests` mixed requests against the real server in a child process — a request the
 * policy approves, its verify and its use, a request the policy denies, and a page of the
 * agent's permissions — while the server's resident memory (RSS) is sampled every `sampleMs`.
 * Reports RSS at the start, its peak and at the end, and the slope of RSS against requests
 * served over the second half (after warm-up): flat means the server does not keep memory per
 * request. Steady-state memory rather than speed, so a busy machine changes the time it takes,
 * not the verdict.
 */
export interface SoakOptions {
  requests: number;
  /** Stops early after this long; the report says how many requests were served. */
  maxSeconds?: number;
  concurrency?: number;
  sampleMs?: number;
  log?: (line: string) => void;
}

export interface Soak {
  requests: number;
  seconds: number;
  rps: number;
  unexpected: number;
  rss_start_mb: number;
  rss_peak_mb: number;
  rss_end_mb: number;
  /** RSS growth per 100,000 requests over the second half of the run, by least squares. */
  slope_mb_per_100k: number;
  flat: boolean;
  samples: number;
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round((Number(kb) / 1024) * 10) / 10;
}

async function startServer(): Promise<{ child: ChildProcess; port: number; apiKey: string }> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=agent-otp-source',
      '--import',
      'tsx',
      new URL('./real-server.ts', import.meta.url).pathname,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.startsWith('{"ready"')) {
      const info = JSON.parse(line) as { port: number; apiKey: string };
      return { child, port: info.port, apiKey: info.apiKey };
    }
  }
  throw new Error('the server exited before it was ready');
}

/** Least-squares slope of y against x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

export async function benchSoak(options: SoakOptions): Promise<Soak> {
  const { requests, maxSeconds = Number.POSITIVE_INFINITY, concurrency = 16, sampleMs = 2000 } = options;
  const log = options.log ?? (() => {});
  const server = await startServer();
  const pid = server.child.pid as number;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };

  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; json: { data?: { id?: string; token?: string } } }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: server.port, method, path: `/api/v1${path}`, headers, agent },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  // `claimed` counts requests started, `sent` those answered: no worker starts one too many.
  let claimed = 0;
  let sent = 0;
  let unexpected = 0;
  const deadline = Date.now() + maxSeconds * 1000;
  const claim = () => claimed < requests && Date.now() < deadline && ++claimed > 0;
  const expect = (status: number, wanted: number) => {
    sent++;
    if (status !== wanted) unexpected++;
  };
  const read = { action: 'file.read', resource: 'file:/data/notes.txt', scope: { max_size: 1000 } };
  const denied = { action: 'shell.exec', resource: 'host:prod' };
  async function worker(): Promise<void> {
    while (claim()) {
      const granted = await call('POST', '/permissions/request', read);
      expect(granted.status, 201);
      const { id, token } = granted.json.data ?? {};
      if (id && token && claim()) {
        expect((await call('POST', `/permissions/${id}/verify`, { token })).status, 200);
        if (claim()) {
          const use = await call('POST', `/permissions/${id}/use`, { token, actionDetails: { size: 10 } });
          expect(use.status, 200);
        }
      }
      // A denial by policy is an answer, not an error: 200 with status "denied".
      if (claim()) expect((await call('POST', '/permissions/request', denied)).status, 200);
      if (claim()) expect((await call('GET', '/permissions?limit=10')).status, 200);
    }
  }

  const samples: [number, number][] = [[0, rssMb(pid)]];
  const sampler = setInterval(() => {
    samples.push([sent, rssMb(pid)]);
    const [done, rss] = samples.at(-1) as [number, number];
    log(`soak: ${done} requests, RSS ${rss} MB`);
  }, sampleMs);
  const started = process.hrtime.bigint();
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(sampler);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  samples.push([sent, rssMb(pid)]);
  agent.destroy();
  await new Promise<void>((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });

  const rss = samples.map(([, mb]) => mb);
  const secondHalf = samples.filter(([done]) => done >= sent / 2);
  const perRequest = slope(secondHalf);
  const start = rss[0] as number;
  // Flat: what the second half's trend would add over the whole run stays within 5% of the
  // starting RSS (or 8 MB, for short runs where the heap is still sizing itself).
  const drift = perRequest * sent;
  return {
    requests: sent,
    seconds: Math.round(seconds * 10) / 10,
    rps: Math.round(sent / seconds),
    unexpected,
    rss_start_mb: start,
    rss_peak_mb: Math.max(...rss),
    rss_end_mb: rss.at(-1) as number,
    slope_mb_per_100k: Math.round(perRequest * 100_000 * 100) / 100,
    flat: drift <= Math.max(0.05 * start, 8),
    samples: samples.length,
  };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const requests = Number(process.argv[2]) || 5000;
  const maxSeconds = Number(process.argv[3]) || undefined;
  const result = await benchSoak({ requests, maxSeconds, log: (line) => console.error(line) });
  console.log(JSON.stringify(result));
}
