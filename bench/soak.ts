import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  /**
   * Runs the server from its TypeScript sources through tsx (as the tests do) rather than from
   * the compiled dist/ that `agent-otp serve` runs; tsx's loader then holds every transformed
   * module and its source map, some 20–30 MB that a deployed server does not carry.
   */
  fromSources?: boolean;
  /** Node options for the server process; by default those the container starts it with. */
  nodeOptions?: string[];
}

/**
 * How the container image starts the server (Dockerfile: its CMD's node options and its ENV),
 * and so how the soak runs it: a young generation of 2 × 4 MB instead of V8's 2 × 16 MB, and
 * two malloc arenas instead of one per thread. See docs/deployment.md, "Memory".
 */
export const DEPLOYED_NODE_OPTIONS = ['--max-semi-space-size=4'];
export const DEPLOYED_ENV = { MALLOC_ARENA_MAX: '2' };

/**
 * The harness (`real-server.ts`) compiled to JavaScript, so the built server runs on plain node
 * as `agent-otp serve` does: under `--import tsx` the loader's own thread and heap add ~40 MB of
 * RSS that a deployed server does not carry. Written under node_modules/.cache, where its import
 * of `@agent-otp/server` resolves to the compiled package.
 */
async function compiledHarness(script: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = new URL('../node_modules/.cache/agent-otp-bench/real-server.mjs', import.meta.url).pathname;
  await esbuild.build({ entryPoints: [script], outfile, format: 'esm', platform: 'node', target: 'node20' });
  return outfile;
}

/** Why dist/ cannot stand for the sources (a file changed since the build), or null. */
function staleBuild(): string | null {
  const packages = new URL('../packages/', import.meta.url).pathname;
  let startedAt: number;
  try {
    startedAt = JSON.parse(readFileSync(`${packages}cli/dist/build.json`, 'utf8')).startedAt;
  } catch {
    return 'nothing is built';
  }
  const changed = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = `${dir}/${entry.name}`;
      return entry.isDirectory() ? changed(path) : statSync(path).mtimeMs > startedAt;
    });
  const stale = readdirSync(packages).find((name) => {
    const src = `${packages}${name}/src`;
    return existsSync(src) && changed(src);
  });
  return stale ? `packages/${stale}/src changed since the last build` : null;
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
  /** About 20 of the samples, evenly spread: [requests served, RSS in MB]. */
  curve: [number, number][];
  /** The server's own account of its memory at the end (V8 heap spaces, external, RSS). */
  memory: MemoryReport | null;
}

interface MemoryReport {
  memory: Record<string, number>;
  heapSpacesMb: Record<string, number>;
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round((Number(kb) / 1024) * 10) / 10;
}

async function startServer(
  fromSources: boolean,
  nodeOptions: string[],
): Promise<{ child: ChildProcess; port: number; apiKey: string }> {
  const stale = fromSources ? null : staleBuild();
  if (stale) throw new Error(`the soak runs the built server, but ${stale}: run \`npm run build\` first`);
  const script = new URL('./real-server.ts', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    fromSources
      ? [...nodeOptions, '--conditions=agent-otp-source', '--import', 'tsx', script]
      : [...nodeOptions, await compiledHarness(script)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...DEPLOYED_ENV } },
  );
  child.stderr?.pipe(process.stderr);
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith('{"memory"')) child.emit('memory', JSON.parse(line));
  });
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
  const server = await startServer(
    options.fromSources ?? false,
    options.nodeOptions ?? DEPLOYED_NODE_OPTIONS,
  );
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
  // Where the end's RSS is: the server reports its heap when asked.
  const memory = await new Promise<MemoryReport | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 5000);
    server.child.once('memory', (report: MemoryReport) => {
      clearTimeout(timer);
      resolve(report);
    });
    server.child.kill('SIGUSR2');
  });
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
    curve: samples.filter(
      (_, i) => i % Math.max(1, Math.floor(samples.length / 20)) === 0 || i === samples.length - 1,
    ),
    memory,
  };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const requests = Number(positional[0]) || 5000;
  const maxSeconds = Number(positional[1]) || undefined;
  const fromSources = process.argv.includes('--sources');
  const given = process.argv.filter((arg) => arg.startsWith('--node=')).map((arg) => arg.slice(7));
  const nodeOptions = given.length > 0 ? given : undefined;
  const log = (line: string) => console.error(line);
  const result = await benchSoak({ requests, maxSeconds, fromSources, nodeOptions, log });
  console.log(JSON.stringify(result));
}
