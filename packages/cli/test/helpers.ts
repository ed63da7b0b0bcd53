import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, parseConfig, type Runtime } from '@agent-otp/server';

/** The repository root: the CLI runs from there, as `npx agent-otp` would in a checkout. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/agent-otp.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `agent-otp` bin as a child process. `dataDir` goes through the environment
 * (as an operator would set it); pass `env` to add or override variables, `input` for stdin
 * (which is closed either way, so a command reading it cannot wait forever).
 */
export function run(
  args: string[],
  dataDir: string | null,
  env: Record<string, string> = {},
  input = '',
): Promise<RunResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, AGENT_OTP_LOG_LEVEL: 'silent', ...env };
  if (dataDir === null) delete childEnv.AGENT_OTP_DATA_DIR;
  else childEnv.AGENT_OTP_DATA_DIR = dataDir;
  return new Promise((resolve, reject) => {
    // Generous: each start loads the sources through tsx, which takes seconds on a busy machine.
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: childEnv, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          const why = `${error.message} (signal ${error.signal ?? 'none'})`;
          reject(new Error(`agent-otp ${args.join(' ')} did not finish: ${why}; stderr: ${stderr}`));
        } else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'agent-otp-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An in-process runtime on the same data directory, to set up and check what the CLI did. It
 * records no policy version unless asked (`asServer`): it is no server running the policy.
 */
export function runtimeFor(dataDir: string, options: { asServer?: boolean } = {}): Promise<Runtime> {
  return createRuntime(
    parseConfig({
      AGENT_OTP_DATA_DIR: dataDir,
      AGENT_OTP_LOG_LEVEL: 'silent',
      AGENT_OTP_POLICY_WATCH: 'false',
    }),
    { recordPolicy: options.asServer === true },
  );
}

/** A port that was free a moment ago: the OS picks it, we release it and hand it on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address !== 'object') throw new Error('no port');
  return address.port;
}
