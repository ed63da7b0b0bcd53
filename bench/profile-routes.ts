import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Load, requestVerifyUse, type Started } from './harness.ts';

/**
 * `tsx --conditions=agent-otp-source bench/profile-routes.ts [--duration 5] [--tokens N] [--cpu-prof DIR]`:
 * request / verify / use against the real server (SQLite) with the server's own CPU time per
 * request (user + system of its process, from /proc), the figure that a busy machine disturbs
 * least. With `--cpu-prof DIR` the server writes a V8 CPU profile of each scenario's window there
 * (1 = request, 2 = verify, 3 = use; see profile-hook.ts).
 */
const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const duration = Number(option('--duration')) || 5;
const tokens = Number(option('--tokens')) || 30000;
const profileDir = option('--cpu-prof');

function cpuMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const after = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(after[11]) + Number(after[12])) * 10; // USER_HZ = 100
}

const child = spawn(
  process.execPath,
  [
    '--conditions=agent-otp-source',
    '--import',
    'tsx',
    ...(profileDir ? ['--import', new URL('./profile-hook.ts', import.meta.url).pathname] : []),
    new URL('./real-server.ts', import.meta.url).pathname,
    String(tokens),
  ],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(profileDir ? { AGENT_OTP_PROFILE_DIR: profileDir } : {}) },
  },
);
const lines = createInterface({ input: child.stdout });
let server: Started | undefined;
for await (const line of lines) {
  if (line.startsWith('{"ready"')) {
    server = { child, info: JSON.parse(line) };
    break;
  }
}
if (!server) throw new Error('the server exited before it was ready');
const pid = child.pid as number;
const rows: Record<string, unknown>[] = [];
await requestVerifyUse(
  [server],
  server.info.apiKey ?? '',
  server.info.permits ?? [],
  32,
  duration,
  async (scenario, run) => {
    if (profileDir) child.kill('SIGUSR2');
    const before = cpuMs(pid);
    const result: Load = await run();
    const used = cpuMs(pid) - before;
    if (profileDir) child.kill('SIGUSR2');
    const requests = result.rps * duration;
    rows.push({
      scenario,
      rps: result.rps,
      p99_ms: result.p99_ms,
      non2xx: result.non2xx,
      server_cpu_us_per_request: Math.round((used * 1000) / Math.max(1, requests)),
      server_cores: Math.round((used / 1000 / duration) * 100) / 100,
    });
    return result;
  },
);
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
for (const row of rows) console.log(JSON.stringify(row));
