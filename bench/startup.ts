import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Start-up time of the command as a user runs it (`node packages/cli/bin/agent-otp.js`, which is
 * what `npx agent-otp` and `npm start` execute), next to `node -e 0` measured in the same run:
 * the machine's own floor for starting a Node.js process. Each figure is the median of `runs`.
 * Besides wall-clock time, the CPU time (user + system) the process spent, which a busy machine
 * disturbs far less: a process waiting for a core takes longer but not more CPU.
 */
const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/bin/agent-otp.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor((sorted.length - 1) / 2)] ?? 0) * 10) / 10;
}

function timeMs(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Runs node with `args` under sh, whose `times` reports the CPU time of its waited-for children. */
function run(args: string[]): { wall: number; cpu: number } {
  const quoted = [process.execPath, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  let result: ReturnType<typeof spawnSync> | undefined;
  const wall = timeMs(() => {
    result = spawnSync('sh', ['-c', `${quoted} >/dev/null && times`], { cwd: ROOT, encoding: 'utf8' });
  });
  if (result?.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result?.stderr}`);
  // Second line: children's user and system time, like `0m0.280s 0m0.130s`.
  const children = String(result.stdout).trim().split('\n')[1] ?? '';
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, [, m, s]) => sum + (Number(m) * 60 + Number(s)) * 1000,
    0,
  );
  return { wall, cpu };
}

/** CPU time (user + system, own and reaped children) of a running process, from /proc, in ms. */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime, stime, cutime, cstime are fields 14-17 of stat(5); fields[0] here is field 3.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks * 10; // USER_HZ is 100 on Linux
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Milliseconds from spawning `agent-otp serve` to its "Agent OTP on http://…" line (listening),
 * and the CPU time it had used by then.
 */
async function timeToListening(dataDir: string): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
    cwd: ROOT,
    env: {
      ...process.env,
      AGENT_OTP_DATA_DIR: dataDir,
      AGENT_OTP_LOG_LEVEL: 'warn',
      AGENT_OTP_ADMIN_PASSWORD: 'bench-admin-password',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  const ms = await new Promise<{ wall: number; cpu: number }>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      if (stderr.includes('Agent OTP on http')) {
        resolve({ wall: Number(process.hrtime.bigint() - started) / 1e6, cpu: cpuOf(child.pid as number) });
      }
    });
    child.once('exit', () => reject(new Error(`serve exited before listening: ${stderr}`)));
  });
  child.kill('SIGTERM');
  await exited;
  return ms;
}

export interface Startup {
  node_ms: number;
  help_ms: number;
  serve_ms: number;
  node_cpu_ms: number;
  help_cpu_ms: number;
  serve_cpu_ms: number;
  runs: number;
}

export async function benchStartup(runs = 10): Promise<Startup> {
  const nodeTimes: { wall: number; cpu: number }[] = [];
  const helpTimes: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < runs; i++) {
    nodeTimes.push(run(['-e', '0']));
    helpTimes.push(run([BIN, '--help']));
  }
  const dir = mkdtempSync(join(tmpdir(), 'agent-otp-bench-startup-'));
  try {
    // The first start creates the data directory, the database and the first admin: a one-off,
    // not the start-up being measured, which is that of an existing installation.
    await timeToListening(join(dir, 'data'));
    const serveTimes: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < runs; i++) serveTimes.push(await timeToListening(join(dir, 'data')));
    const wall = (times: { wall: number }[]) => median(times.map((t) => t.wall));
    const cpu = (times: { cpu: number }[]) => median(times.map((t) => t.cpu));
    return {
      node_ms: wall(nodeTimes),
      help_ms: wall(helpTimes),
      serve_ms: wall(serveTimes),
      node_cpu_ms: cpu(nodeTimes),
      help_cpu_ms: cpu(helpTimes),
      serve_cpu_ms: cpu(serveTimes),
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  console.log(JSON.stringify(await benchStartup(Number(process.argv[2]) || 10)));
}
