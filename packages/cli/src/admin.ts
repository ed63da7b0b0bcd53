import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Actor } from '@agent-otp/core';
import type { Config, Runtime } from '@agent-otp/server';
import { CliError } from './output.ts';

/**
 * The server package, loaded on first use. Importing it costs seconds (Hono, zod, pino, the
 * store driver), which `--help`, `policy …` with --file and the HTTP-only `approvals …` never
 * need.
 */
export const serverPackage = () => import('@agent-otp/server');

/** The configuration the admin commands act on: the same environment the server reads. */
export async function loadConfig(): Promise<Config> {
  const { parseConfig } = await serverPackage();
  // A one-shot command has no use for hot reload, and a watcher would only delay the exit.
  return parseConfig({ ...process.env, AGENT_OTP_POLICY_WATCH: 'false' });
}

/**
 * Runs an admin command against the configured store directly (no server needed), and always
 * closes the store so the process can exit. Logs go to stderr: stdout carries the command's
 * output, which scripts parse with --json.
 */
export async function withRuntime<T>(
  work: (runtime: Runtime) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const config = await loadConfig();
  // Opening a store creates it. For a command that only reads, a mistyped --data-dir would then
  // report "no agents" or an intact empty audit chain instead of the mistake.
  if (options.readOnly && config.database.kind === 'sqlite' && !existsSync(config.databaseFile)) {
    throw new CliError(
      `no database at ${config.databaseFile}: check --data-dir / AGENT_OTP_DATA_DIR (the server creates it on first start)`,
    );
  }
  const { createLogger, createRuntime } = await serverPackage();
  const runtime = await createRuntime(config, {
    logger: createLogger(config.logLevel, process.stderr),
    lenientPolicy: true,
    announce: false,
  });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * Who the audit log names for changes made from this command line: a system actor, not a user,
 * because it acts with the host's direct access to the database rather than as a person who
 * logged in. `cli:<os user>` says which account on the host ran it.
 */
export function cliActor(): Actor {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    // Containers often run under a uid with no passwd entry; userInfo throws there.
    name = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
  return { type: 'system', id: `cli:${name}` };
}

/** Writes a chunk and waits when the stream is full, so a large export does not buffer in memory. */
export async function writeChunk(stream: NodeJS.WritableStream, chunk: string): Promise<void> {
  // events.once also rejects on 'error', so a failed write cannot leave the command waiting forever.
  if (!stream.write(chunk)) await once(stream, 'drain');
}

export const iso = (ms: number): string => new Date(ms).toISOString();
