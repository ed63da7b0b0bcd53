import { execFile } from 'node:child_process';

/** What the examples' commands share: the server, the CLI runner, and ids seen so far. */
export interface ShellState {
  /** host:port of the test server, standing in for the docs' localhost:8787. */
  host: string;
  cliUrl: string;
  /** The working directory of the commands (file= blocks are written there). */
  cwd: string;
  dataDir: string;
  /** The latest id of each kind seen in an output, filling the docs' `perm_…`-style placeholders. */
  seen: Map<string, string>;
  /** Variable assignments so far (`KEY=ak_…`, `export AGENT_OTP_TOKEN=…`), replayed before each command. */
  assignments: string[];
}

/** Placeholders the docs write and the id prefixes that fill them. */
const PREFIXES = ['ak_', 'perm_', 'otp_', 'uat_', 'whk_', 'agt_', 'usr_'];
const ELLIPSIS = '…';

// The shell's `agent-otp` (and `npx agent-otp`) sends its arguments to the CLI runner.
const PRELUDE = `
agent-otp() {
  local out
  out=$(printf '%s\\0' "\${AGENT_OTP_TOKEN-}" "$PWD" "$@" | curl -sS --data-binary @- "$CLI_RUNNER") || return 99
  printf '%s\\n' "\${out%$'\\n'*}"
  return "\${out##*$'\\n'}"
}
npx() {
  if [ "$1" = agent-otp ]; then shift; agent-otp "$@"; else echo "npx $1 is not run by the docs test" >&2; return 127; fi
}
set -o pipefail
`;

/** Joins `\` continuations and drops blank and comment-only lines. */
export function commands(code: string): string[] {
  return code
    .replace(/\s*\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** `npm start` is the server the test already runs. */
const isServerStart = (command: string) => /^(npm ci && )?npm start(\s+#.*)?$/.test(command);
const isAssignment = (command: string) => /^(export\s+)?[A-Z_][A-Z0-9_]*=\S*(\s+#.*)?$/.test(command);
const RUNNABLE = /^(npx agent-otp|agent-otp|curl)\s/;

/** Why a command cannot run here, or null when it can. */
export function unrunnable(command: string): string | null {
  if (isServerStart(command) || isAssignment(command)) return null;
  if (/&\s*(#.*)?$/.test(command)) return 'starts a background process';
  return RUNNABLE.test(command)
    ? null
    : `only agent-otp and curl commands run, not "${command.split(' ')[0]}"`;
}

function fill(command: string, state: ShellState): string {
  let text = command.replace(/(https?:\/\/)?localhost:8787/g, `http://${state.host}`);
  // A long poll would only wait: the examples ask for one second.
  text = text.replace(/([?&]wait=)\d+/g, (_, key: string) => `${key}1`);
  for (const prefix of PREFIXES) {
    const value = state.seen.get(prefix);
    if (value) text = text.split(`${prefix}${ELLIPSIS}`).join(value);
  }
  return text;
}

function remember(output: string, state: ShellState) {
  for (const prefix of PREFIXES) {
    const found = [...output.matchAll(new RegExp(`\\b${prefix}[A-Za-z0-9_-]{6,}`, 'g'))];
    // The first: lists are newest first, and a request's own id comes before its URLs.
    const first = found[0]?.[0];
    if (first) state.seen.set(prefix, first);
  }
}

function bash(script: string, state: ShellState): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      {
        cwd: state.cwd,
        env: {
          ...process.env,
          CLI_RUNNER: state.cliUrl,
          AGENT_OTP_DATA_DIR: state.dataDir,
          AGENT_OTP_URL: `http://${state.host}`,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr }),
    );
  });
}

/**
 * Runs the block's commands one by one in bash, as a reader would paste them, each filled with
 * the ids earlier outputs printed. Fails on a non-zero exit, and on a curl answer whose envelope
 * says `success: false` (the docs show successful calls).
 */
export async function runShellBlock(code: string, state: ShellState): Promise<number> {
  let ran = 0;
  for (const command of commands(code)) {
    if (isServerStart(command)) continue;
    const filled = fill(command, state);
    if (filled.replace(/\s#.*$/, '').includes(ELLIPSIS)) {
      throw new Error(`"${command}": a placeholder no earlier output filled`);
    }
    if (isAssignment(command)) {
      state.assignments.push(filled);
      continue;
    }
    const result = await bash(`${PRELUDE}\n${state.assignments.join('\n')}\n${filled}`, state);
    if (result.code !== 0) {
      throw new Error(`"${command}" exited ${result.code}: ${result.stdout}${result.stderr}`);
    }
    if (command.startsWith('curl') && /^\s*\{/.test(result.stdout)) {
      const body = JSON.parse(result.stdout) as { success?: boolean };
      if (body.success === false) throw new Error(`"${command}" answered ${result.stdout}`);
    }
    remember(result.stdout, state);
    ran++;
  }
  return ran;
}
