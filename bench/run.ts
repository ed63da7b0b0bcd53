import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { benchApprovalLatency } from './approval-latency.ts';
import { benchPolicyDecisions, type PolicyVariant } from './policy-decisions.ts';
import { benchSoak } from './soak.ts';
import { benchStartup } from './startup.ts';

/**
 * `npm run bench [-- --json] [--duration 5] [--soak N] [--only startup,load,policy,soak]`:
 * the start-up time of the command (`--help`, and `serve` until it listens) next to `node -e 0`;
 * load scenarios against the real server, each compared with the bare node:http baseline
 * measured in the same run with the same connections and duration; the latency from a human's
 * approval to the waiting agent holding the token; a micro-benchmark of policy decisions at
 * 1,000 rules of several shapes; and a soak of N mixed requests (default 5,000) watching the
 * server's memory.
 */
const args = process.argv.slice(2);
const json = args.includes('--json');
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const duration = Number(option('--duration')) || 5;
const soakRequests = Number(option('--soak')) || 5000;
const only = option('--only')?.split(',');
const wants = (part: string) => only === undefined || only.includes(part);
const connections = 32;

interface Started {
  child: ChildProcess;
  info: { port: number; apiKey?: string; userToken?: string; permits?: { id: string; token: string }[] };
}

async function start(script: string, extra: string[] = []): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--conditions=agent-otp-source', '--import', 'tsx', new URL(script, import.meta.url).pathname, ...extra],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.startsWith('{"ready"')) return { child, info: JSON.parse(line) };
  }
  throw new Error(`${script} exited before it was ready`);
}

function stop(started: Started): Promise<void> {
  return new Promise((resolve) => {
    started.child.once('exit', () => resolve());
    started.child.kill('SIGTERM');
  });
}

interface Load {
  rps: number;
  p99_ms: number;
  p50_ms: number;
  errors: number;
  non2xx: number;
}

async function load(options: autocannon.Options): Promise<Load> {
  const result = await autocannon({ connections, duration, ...options });
  return {
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

const report: Record<string, unknown>[] = [];
function record(scenario: string, measured: Load, baseline: Load, target?: number) {
  const row = {
    scenario,
    rps: measured.rps,
    p50_ms: measured.p50_ms,
    p99_ms: measured.p99_ms,
    baseline_rps: baseline.rps,
    ratio: Math.round((measured.rps / baseline.rps) * 100) / 100,
    ...(target === undefined ? {} : { target_ratio: target }),
    errors: measured.errors,
    non2xx: measured.non2xx,
  };
  report.push(row);
  if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
  else
    console.error(
      `${scenario}: ${row.rps} req/s (p99 ${row.p99_ms} ms) vs bare ${row.baseline_rps} → ${row.ratio}×`,
    );
}

const smallBody = JSON.stringify({
  action: 'file.read',
  resource: 'file:/data/notes.txt',
  scope: { size_limit: 1000 },
});

function emit(row: Record<string, unknown>, line: string) {
  report.push(row);
  if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
  else console.error(line);
}

if (wants('startup')) {
  const s = await benchStartup();
  emit(
    { scenario: 'start-up', ...s, target_help_ms: 300, target_serve_ms: 1000 },
    `start-up (median of ${s.runs}): node -e 0 ${s.node_ms} ms (CPU ${s.node_cpu_ms} ms); ` +
      `agent-otp --help ${s.help_ms} ms (CPU ${s.help_cpu_ms} ms); ` +
      `agent-otp serve to listening ${s.serve_ms} ms (CPU ${s.serve_cpu_ms} ms)`,
  );
}

if (wants('load')) await loadScenarios();

async function loadScenarios() {
  const bare = await start('./bare-server.ts');
  const baseline = await load({
    url: `http://127.0.0.1:${bare.info.port}/`,
    method: 'POST',
    body: smallBody,
    headers: { 'content-type': 'application/json' },
  });
  await stop(bare);
  if (!json)
    console.error(
      `baseline (bare node:http, small JSON POST): ${baseline.rps} req/s, p99 ${baseline.p99_ms} ms`,
    );

  // Enough single-use tokens for the use scenario at up to ~25k uses a second.
  const real = await start('./real-server.ts', [String(Math.max(20000, duration * 25000))]);
  const base = `http://127.0.0.1:${real.info.port}/api/v1/permissions`;
  const headers = { authorization: `Bearer ${real.info.apiKey}`, 'content-type': 'application/json' };
  const permits = real.info.permits ?? [];

  record(
    'request (auto-approve)',
    await load({ url: `${base}/request`, method: 'POST', headers, body: smallBody }),
    baseline,
    0.5,
  );

  const first = permits[0] as { id: string; token: string };
  record(
    'verify',
    await load({
      url: `${base}/${first.id}/verify`,
      method: 'POST',
      headers,
      body: JSON.stringify({ token: first.token }),
    }),
    baseline,
    0.6,
  );

  let next = 1;
  record(
    'use (one-time spend)',
    await load({
      url: `${base}/use`,
      method: 'POST',
      headers,
      requests: [
        {
          setupRequest: (request) => {
            const permit = permits[next++ % permits.length] as { id: string; token: string };
            return {
              ...request,
              path: `/api/v1/permissions/${permit.id}/use`,
              body: JSON.stringify({ token: permit.token, actionDetails: { size: 10 } }),
            };
          },
        },
      ],
    }),
    baseline,
    0.6,
  );
  if (next > permits.length) console.error(`warning: ${next - permits.length} uses reused tokens (409s)`);

  const approvals = await benchApprovalLatency({
    baseUrl: `http://127.0.0.1:${real.info.port}`,
    apiKey: real.info.apiKey ?? '',
    userToken: real.info.userToken ?? '',
  });
  const approvalRow = {
    scenario: 'approval → token (SSE)',
    p50_ms: approvals.p50_ms,
    p99_ms: approvals.p99_ms,
    samples: approvals.samples,
    target_p99_ms: 50,
  };
  report.push(approvalRow);
  if (json) process.stdout.write(`${JSON.stringify(approvalRow)}\n`);
  else
    console.error(
      `approval → token (SSE): p50 ${approvals.p50_ms} ms, p99 ${approvals.p99_ms} ms over ${approvals.samples} approvals (target p99 ≤ 50 ms)`,
    );
  if (approvals.long_polls > 0) {
    console.error(`warning: the SDK fell back to long-polling ${approvals.long_polls} times`);
  }
  await stop(real);
}

const variants: [PolicyVariant, string][] = [
  ['fixed', '1,000 rules, action equals'],
  ['open', '1,000 rules, action startsWith'],
  ['any', '1,000 rules, action tests inside any'],
  ['all', '1,000 rules, action tests inside all (and any)'],
  ['not', '1,000 rules, action test inside not (notIn)'],
  ['matches', '1,000 rules, action matches ^prefix'],
  // The scan worst case: one branch of every rule's `any` says nothing of the action.
  ['unindexed', '1,000 rules, an any branch without an action test'],
];
for (const [variant, label] of wants('policy') ? variants : []) {
  const decisions = benchPolicyDecisions(1000, variant);
  const row = { scenario: `policy decision (${label})`, ...decisions, target_p99_us: 20 };
  report.push(row);
  if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
  else
    console.error(
      `policy decision at ${label}: p50 ${decisions.p50_us} µs, p99 ${decisions.p99_us} µs, ${decisions.decisions_per_s} decisions/s`,
    );
}

if (wants('soak')) {
  const soak = await benchSoak({
    requests: soakRequests,
    log: json ? undefined : (line) => console.error(line),
  });
  emit(
    { scenario: 'soak (mixed requests)', ...soak },
    `soak: ${soak.requests} mixed requests in ${soak.seconds} s (${soak.rps} req/s, ${soak.unexpected} unexpected); ` +
      `RSS start ${soak.rss_start_mb} MB, peak ${soak.rss_peak_mb} MB, end ${soak.rss_end_mb} MB; ` +
      `slope ${soak.slope_mb_per_100k} MB per 100k requests over the second half → ${soak.flat ? 'flat' : 'GROWING'}`,
  );
}
