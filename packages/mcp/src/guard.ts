import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  CallToolResultSchema,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { type GuardedCall, guardCall } from './guard-call.ts';
import type { OtpAccess } from './otp-access.ts';
import { passThrough } from './pass-through.ts';

/** The version the guard reports as its own, next to the wrapped server's name. */
const VERSION = '0.1.0';

/** What `--name` may be: it becomes a segment of actions (`mcp.NAME.tool`), so no dots. */
export const GUARD_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface GuardOptions {
  /** The wrapped server's name in actions and resources: `mcp.NAME.<tool>`, `mcp:NAME/<tool>`. */
  name: string;
  /** The wrapped stdio MCP server: the program and its arguments. */
  command: string;
  args: string[];
  otp: OtpAccess;
  /** The wrapped server's environment (the guard passes its own, minus AGENT_OTP_KEY). */
  env: Record<string, string>;
  /** Longest wait for a human decision, in ms; default until the server's approval deadline. */
  waitTimeoutMs?: number;
  /** Where the guard's own messages go: stderr, never stdout (which carries the protocol). */
  log: (line: string) => void;
}

export interface RunningGuard {
  server: Server;
  upstream: Client;
  close(): Promise<void>;
}

/**
 * Starts the wrapped server, then serves MCP on `transport` as a proxy of it: tools are listed
 * unchanged, resources and prompts pass through, and every `tools/call` goes through
 * `guardCall`, which forwards it only with a granted, spent one-time permission.
 *
 * The wrapped server is connected first so the guard can declare exactly its capabilities.
 * @throws when the wrapped server cannot be started or does not speak MCP.
 */
export async function startGuard(options: GuardOptions, transport: Transport): Promise<RunningGuard> {
  const upstream = new Client({ name: `agent-otp-guard/${options.name}`, version: VERSION });
  const child = new StdioClientTransport({
    command: options.command,
    args: options.args,
    env: options.env,
    stderr: 'inherit',
  });
  try {
    await upstream.connect(child);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`could not start the wrapped MCP server "${options.command}": ${why}`);
  }
  let upstreamClosed = false;
  upstream.onclose = () => {
    upstreamClosed = true;
    options.log(`the wrapped MCP server "${options.command}" exited; tool calls now fail`);
  };

  const wrapped = upstream.getServerCapabilities() ?? {};
  const capabilities: ServerCapabilities = {
    tools: { listChanged: wrapped.tools?.listChanged ?? false },
    // The guard's own notices (approval links) are log messages, whatever the wrapped server has.
    logging: {},
    ...(wrapped.resources ? { resources: wrapped.resources } : {}),
    ...(wrapped.prompts ? { prompts: wrapped.prompts } : {}),
    ...(wrapped.completions ? { completions: wrapped.completions } : {}),
  };
  const upstreamInfo = upstream.getServerVersion();
  const server = new Server(
    { name: `agent-otp-guard(${upstreamInfo?.name ?? options.name})`, version: VERSION },
    { capabilities, instructions: upstream.getInstructions() },
  );
  passThrough(server, upstream, wrapped);

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    if (upstreamClosed) {
      // Said before asking for a permission, so no token is spent on a call that cannot run.
      const text = `agent-otp: the wrapped MCP server "${options.command}" has exited; restart this server`;
      return { isError: true, content: [{ type: 'text', text }] };
    }
    const call: GuardedCall = {
      guardName: options.name,
      tool: request.params.name,
      arguments: request.params.arguments ?? {},
      progressToken: request.params._meta?.progressToken,
      requestId: extra.requestId,
      signal: extra.signal,
    };
    return guardCall(call, {
      otp: options.otp,
      server,
      waitTimeoutMs: options.waitTimeoutMs,
      log: options.log,
      sendNotification: extra.sendNotification,
      forward: async (onprogress) =>
        upstream.request(
          { method: 'tools/call', params: { name: call.tool, arguments: call.arguments } },
          CallToolResultSchema,
          // A tool may run long; its own progress keeps the call alive, as it would unwrapped.
          { signal: extra.signal, timeout: 10 * 60_000, resetTimeoutOnProgress: true, onprogress },
        ) as Promise<CallToolResult>,
    });
  });

  // Notifications of the wrapped server (list changes, resource updates, its logs) go to the
  // client as they are; one the client cannot take is dropped, not fatal.
  upstream.fallbackNotificationHandler = async (notification) => {
    await server.notification(notification as never).catch(() => undefined);
  };

  await server.connect(transport);
  return {
    server,
    upstream,
    async close() {
      await server.close();
      await upstream.close();
    },
  };
}
