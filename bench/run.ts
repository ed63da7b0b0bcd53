import { benchApprovalLatency } from './approval-latency.ts';
import { benchApprovalSetups } from './approval-scenarios.ts';
import { type Load, load as loadOne, type Started, smallBody, start, stop } from './harness.ts';
import { benchPolicyDecisions, type PolicyVariant } from './policy-decisions.ts';
import {
  benchCluster,
  benchPostgresOne,
  type Measured,
  measured,
  postgresUnavailable,
  redisUnavailable,
} from './postgres-scenarios.ts';
import { benchSoak } from './soak.ts';
import { benchStartup } from './startup.ts';

/**
 * `npm run bench [-- --json] [--duration 5] [--soak N] [--only startup,load,pg,cluster,policy,soak]`
 * (and `--only approval [--approvals N]`: the approval latency on every store and events set-up):
 * the start-up time of the command (`--help`, and `serve` until it listens) next to `node -e 0`;
 * load scenarios against the real server, each compared with the bare node:http baseline
 * measured in the same run with the same connections and duration — on SQLite (`load`), on
 * PostgreSQL (`pg`, next to the same on SQLite), and on two instances sharing PostgreSQL and
 * Redis against one (`cluster`); the latency from a human's
 * approval to the waiting agent holding the token; a micro-benchmark of policy decisions at
 * 1,000 rules of several shapes; and a soak of N mixed requests (default 5,000) watching the
 * server's memory.
 */
const args = process.argv.slice(2);
const json = args.includes('--json');
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const duration = Number(option('--duration')) || 5;
const soakRequests = Number(option('--soak')) || 5000;
// Fresh tokens made before the SQLite use scenario; making them takes as long as that many
// requests, which on a loaded machine is minutes, so it can be set (a run short of them warns).
const sqliteTokens = Number(option('--tokens')) || Math.max(20000, duration * 25000);
const approvalSamples = Number(option('--approvals')) || 250;
const only = option('--only')?.split(',');
const wants = (part: string) => only === undefined || only.includes(part);
const connections = 32;

// Tokens made per second of the use scenario on PostgreSQL: making them is as slow as the request
// scenario (~200–1,000 a second here), so the pool is sized near the rate, with a warning if short.
const pgUseRate = 1000;
const load = (options: Parameters<typeof loadOne>[0]) => loadOne(options, connections, duration);

const report: Record<string, unknown>[] = [];
function record(
  scenario: string,
  measured: Load,
  baseline: Load,
  target?: number,
  extra: Record<string, unknown> = {},
) {
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
    ...extra,
  };
  report.push(row);
  if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
  else
    console.error(
      `${scenario}: ${row.rps} req/s (p99 ${row.p99_ms} ms) vs bare ${row.baseline_rps} → ${row.ratio}×${target === undefined ? '' : ` (goal ≥ ${target}×)`}`,
    );
}

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

// Measured once per run and shared by every part that compares with them.
let baselineRun: Promise<Load> | undefined;
function baseline(): Promise<Load> {
  baselineRun ??= (async () => {
    const bare = await start('./bare-server.ts');
    const measured = await load({
      url: `http://127.0.0.1:${bare.info.port}/`,
      method: 'POST',
      body: smallBody,
      headers: { 'content-type': 'application/json' },
    });
    await stop(bare);
    if (!json)
      console.error(
        `baseline (bare node:http, small JSON POST): ${measured.rps} req/s, p99 ${measured.p99_ms} ms`,
      );
    return measured;
  })();
  return baselineRun;
}

// The goals of the agent routes, as ratios to the bare server measured in the same run.
const targets = { request: 0.35, verify: 0.5, use: 0.45 };
const labels = { request: 'request (auto-approve)', verify: 'verify', use: 'use (one-time spend)' };

async function recordTriple(store: string, triple: Measured) {
  const bare = await baseline();
  for (const part of ['request', 'verify', 'use'] as const) {
    const cpu = 'cpu' in triple ? triple.cpu[part] : undefined;
    record(`${labels[part]}${store}`, triple[part], bare, targets[part], cpu ? { cpu_cores: cpu } : {});
    if (cpu && !json) console.error(describeCpu('  CPU', cpu));
  }
  if (triple.reused > 0) console.error(`warning: ${triple.reused} uses reused tokens (409s)`);
}

let sqliteRun: Promise<Measured> | undefined;
/** Request, verify and use on SQLite, plus the approval latency when `approvals` is set. */
function sqliteScenarios(approvals: boolean): Promise<Measured> {
  sqliteRun ??= (async () => {
    // Enough single-use tokens for the use scenario at up to ~25k uses a second.
    const real = await start('./real-server.ts', [String(sqliteTokens)]);
    const triple = await measured([real], real.info.apiKey ?? '', real.info.permits ?? [], undefined, {
      connections,
      duration,
    });
    await recordTriple('', triple);
    if (approvals) await approvalScenario(real);
    await stop(real);
    return triple;
  })();
  return sqliteRun;
}

if (wants('load')) await sqliteScenarios(true);
if (wants('pg') || wants('cluster')) await postgresScenarios();
if (only?.includes('approval')) await approvalSetups();

/** `--only approval`: the approval latency alone, on SQLite, PostgreSQL and two instances. */
async function approvalSetups() {
  const postgres = (await postgresUnavailable()) === null;
  const redis = postgres && (await redisUnavailable()) === null;
  await benchApprovalSetups({
    samples: approvalSamples,
    postgres,
    redis,
    log: (row) =>
      emit(
        { scenario: `approval → token (SSE), ${row.setup}`, ...row, target_p99_ms: 10 },
        `approval → token (SSE), ${row.setup}: p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms over ${row.samples} approvals` +
          (row.long_polls > 0 ? ` (warning: ${row.long_polls} long-polls)` : ''),
      ),
  });
}

async function approvalScenario(real: Started) {
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
    target_p99_ms: 10,
  };
  report.push(approvalRow);
  if (json) process.stdout.write(`${JSON.stringify(approvalRow)}\n`);
  else
    console.error(
      `approval → token (SSE): p50 ${approvals.p50_ms} ms, p99 ${approvals.p99_ms} ms over ${approvals.samples} approvals (target p99 ≤ 10 ms)`,
    );
  if (approvals.long_polls > 0) {
    console.error(`warning: the SDK fell back to long-polling ${approvals.long_polls} times`);
  }
}

async function postgresScenarios() {
  const unavailable = await postgresUnavailable();
  if (unavailable !== null) {
    emit(
      { scenario: 'postgres', skipped: unavailable },
      `skipped the PostgreSQL scenarios (pg, cluster): ${unavailable}. ` +
        'Set AGENT_OTP_TEST_POSTGRES_URL to a server where this user may CREATE DATABASE.',
    );
    return;
  }
  const settings = { connections, duration, tokens: Math.max(2000, duration * pgUseRate) };
  if (wants('pg')) {
    await sqliteScenarios(false); // the same scenarios on SQLite, in this run, for comparison
    await recordTriple(' on PostgreSQL', await benchPostgresOne(settings));
  }
  const noRedis = wants('cluster') ? await redisUnavailable() : null;
  if (noRedis !== null) {
    emit(
      { scenario: 'cluster', skipped: noRedis },
      `skipped the two-instance scenario (cluster): ${noRedis}. Set AGENT_OTP_BENCH_REDIS_URL.`,
    );
  } else if (wants('cluster')) {
    const { one, two } = await benchCluster(settings);
    await recordTriple(' on PostgreSQL + Redis, one instance', one);
    await recordTriple(' on PostgreSQL + Redis, two instances', two);
    for (const part of ['request', 'verify', 'use'] as const) {
      const ratio = Math.round((two[part].rps / one[part].rps) * 100) / 100;
      emit(
        {
          scenario: `${labels[part]}: two instances / one`,
          one_rps: one[part].rps,
          two_rps: two[part].rps,
          ratio,
          target_ratio: 1.6,
          cpu_one: one.cpu[part],
          cpu_two: two.cpu[part],
        },
        `${labels[part]}: two instances ${two[part].rps} req/s / one ${one[part].rps} req/s → ${ratio}× (goal ≥ 1.6× where cores allow)` +
          `${describeCpu(' — CPU one', one.cpu[part])}${describeCpu('; two', two.cpu[part])}`,
      );
    }
  }
}

function describeCpu(label: string, cpu: Measured['cpu']['request']): string {
  if (!cpu) return '';
  return (
    `${label}: machine ${cpu.machine}/${cpu.cores} cores (load generator ${cpu.load_generator}, ` +
    `servers ${cpu.servers}, PostgreSQL ${cpu.postgres}, Redis ${cpu.redis}, other ${cpu.other})`
  );
}

const variants: [PolicyVariant, string][] = [
  ['fixed', '1,000 rules, action equals'],
  ['open', '1,000 rules, action startsWith'],
  ['any', '1,000 rules, action tests inside any'],
  ['all', '1,000 rules, action tests inside all (and any)'],
  ['not', '1,000 rules, action test inside not (notIn)'],
  ['matches', '1,000 rules, action matches ^prefix'],
  // One branch of every rule's `any` says nothing of the action: found by action or agent.
  ['unindexed', '1,000 rules, an any branch without an action test'],
  ['agent', '1,000 rules, no action test, agent equals or agentId startsWith'],
  ['resource', '1,000 rules, no action test, resource startsWith or agent in'],
  // The scan worst case: only scope/context comparisons, which no index serves.
  ['params', '1,000 rules, only context comparisons (full scan)'],
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
