import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestServer } from '@agent-otp/server';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'packages/cli/bin/agent-otp.js');
/** The real filesystem MCP server from npm, run with this node. */
export const FS_SERVER = join(ROOT, 'node_modules/.bin/mcp-server-filesystem');

export interface Session {
  client: Client;
  /** Everything the process wrote on stderr so far. */
  stderr(): string;
  /** Errors of the client's transport: a line on stdout that is not MCP lands here. */
  errors: Error[];
  close(): Promise<void>;
}

/**
 * Starts `agent-otp <args>` as an MCP client would (the SDK's StdioClientTransport spawning the
 * real bin) and connects the SDK's client to it. `env` is the whole environment of the child
 * besides PATH, so a test controls exactly which AGENT_OTP_* variables it sees.
 */
export async function connect(
  args: string[],
  env: Record<string, string>,
  options: ClientOptions = {},
): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd: ROOT,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'agent-otp-mcp-test', version: '1.0.0' }, options);
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  return { client, stderr: () => stderr, errors, close: () => client.close() };
}

/** A fresh directory with its real path (the filesystem server resolves symlinks). */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'agent-otp-mcp-')));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An approver with a personal API token (`uat_…`), as `agent-otp users` would create one. */
export async function createApprover(server: TestServer, name = 'alice'): Promise<string> {
  const actor = { type: 'system', id: 'test' } as const;
  await server.runtime.users.create({ name, role: 'approver' }, actor);
  return (await server.runtime.users.createToken(name, 'mcp tests', actor)).token;
}

/** Decides a pending request as a human does: over the approvals API with a user token. */
export async function decide(
  server: TestServer,
  userToken: string,
  id: string,
  decision: 'approve' | 'deny',
): Promise<number> {
  const response = await fetch(`${server.url}/api/v1/approvals/${id}/${decision}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${userToken}` },
  });
  await response.body?.cancel();
  return response.status;
}

/** Polls `find` until it yields a value or `ms` pass. */
export async function eventually<T>(find: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The text of a tool result's first content block. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

/** `text` as an RE2 literal. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}
