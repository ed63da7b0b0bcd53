import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type ServerNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { type AgentOTPClient, type PermissionResult, TimeoutError } from '@orrisai/agent-otp-sdk';
import { describeOtpError, type OtpAccess } from './otp-access.ts';
import { PERMISSION_TOOLS } from './permission-tools.ts';

/** Longest `wait` a call may ask for: an MCP client rarely keeps a call open longer. */
const MAX_WAIT_SECONDS = 3600;

type Args = Record<string, unknown>;
interface Extra {
  signal: AbortSignal;
  sendNotification: (notification: ServerNotification) => Promise<void>;
  progressToken: string | number | undefined;
}

/**
 * `agent-otp mcp`: tools with which an agent asks for one-time permissions itself, spends them
 * and checks them — the SDK's calls, one tool each. Results are the SDK's values as JSON (text
 * and `structuredContent`); a denial is a result, not an error; a failed call (bad input, a
 * refused use, an unreachable server) is a tool error naming the server's code.
 */
export async function startPermissionServer(otp: OtpAccess, transport: Transport): Promise<Server> {
  const server = new Server(
    { name: 'agent-otp', version: '0.1.0' },
    {
      capabilities: { tools: {}, logging: {} },
      instructions:
        'Ask for a one-time permission (request_permission) before a sensitive action; when it is ' +
        'pending, a human decides at approvalUrl. Spend the token with use_permission, passing what ' +
        'you are about to do as actionDetails, before doing it.',
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: PERMISSION_TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    if (!otp.client) return toolError(`agent-otp: ${otp.problem}`);
    const args = request.params.arguments ?? {};
    const context = { ...extra, progressToken: request.params._meta?.progressToken };
    try {
      const result = await callTool(otp.client, server, request.params.name, args, context);
      return typeof result === 'string' ? toolError(result) : ok(result);
    } catch (error) {
      return toolError(`agent-otp: ${describeOtpError(error, otp.baseUrl)}`);
    }
  });
  await server.connect(transport);
  return server;
}

/** Runs one tool; a string is an input problem, told back as a tool error. */
async function callTool(
  client: AgentOTPClient,
  server: Server,
  name: string,
  args: Args,
  extra: Extra,
): Promise<object | string> {
  const { signal } = extra;
  switch (name) {
    case 'request_permission': {
      const problem =
        need(args, 'action', 'string') ??
        may(args, 'resource', 'string') ??
        may(args, 'scope', 'object') ??
        may(args, 'context', 'object') ??
        may(args, 'ttl', 'number') ??
        may(args, 'wait', 'number');
      if (problem) return problem;
      const wait = (args.wait as number | undefined) ?? 0;
      if (!(wait >= 0 && wait <= MAX_WAIT_SECONDS)) return `wait must be 0..${MAX_WAIT_SECONDS} seconds`;
      const { action, resource, scope, context, ttl } = args as {
        action: string;
        resource?: string;
        scope?: Args;
        context?: Args;
        ttl?: number;
      };
      const result = await client.requestPermission({ action, resource, scope, context, ttl, signal });
      if (result.status !== 'pending' || wait === 0) return result;
      return waitForHuman(client, server, result, wait, extra);
    }
    case 'get_permission':
      return need(args, 'id', 'string') ?? client.getPermission(args.id as string, { signal });
    case 'use_permission':
      return (
        need(args, 'id', 'string') ??
        need(args, 'token', 'string') ??
        may(args, 'actionDetails', 'object') ??
        client.useToken(args.id as string, args.token as string, args.actionDetails as Args | undefined, {
          signal,
        })
      );
    case 'verify_permission':
      return (
        need(args, 'id', 'string') ??
        need(args, 'token', 'string') ??
        client.verifyToken(args.id as string, args.token as string, { signal })
      );
    case 'revoke_permission':
      return (
        need(args, 'id', 'string') ??
        may(args, 'reason', 'string') ??
        client.revoke(args.id as string, args.reason as string | undefined, { signal })
      );
    default:
      return `unknown tool ${JSON.stringify(name)}`;
  }
}

/**
 * Waits up to `wait` seconds for a human. Unlike the SDK's `waitForApproval`, running out of
 * time leaves the request pending (the human may still decide): the answer says so, and
 * `get_permission` fetches the token later.
 */
async function waitForHuman(
  client: AgentOTPClient,
  server: Server,
  pending: Extract<PermissionResult, { status: 'pending' }>,
  wait: number,
  extra: Extra,
): Promise<object> {
  const text = `Approval needed for ${pending.id}: ${pending.approvalUrl}`;
  process.stderr.write(`agent-otp mcp: ${text}\n`);
  await server
    .sendLoggingMessage({ level: 'notice', logger: 'agent-otp', data: text })
    .catch(() => undefined);
  if (extra.progressToken !== undefined) {
    const params = { progressToken: extra.progressToken, progress: 0, message: text };
    await extra.sendNotification({ method: 'notifications/progress', params }).catch(() => undefined);
  }
  try {
    return await client.waitForDecision(pending.id, { timeout: wait * 1000, signal: extra.signal });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    return {
      ...pending,
      note: `no decision within ${wait} s; still pending. Call get_permission with this id later: the first read after an approval carries the token.`,
    };
  }
}

function need(args: Args, key: string, type: 'string' | 'number' | 'object'): string | undefined {
  return args[key] === undefined ? `${key} is required` : may(args, key, type);
}

function may(args: Args, key: string, type: 'string' | 'number' | 'object'): string | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  const fits =
    type === 'object'
      ? typeof value === 'object' && value !== null && !Array.isArray(value)
      : typeof value === type;
  return fits ? undefined : `${key} must be ${type === 'object' ? 'a JSON object' : `a ${type}`}`;
}

function ok(value: object): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
    structuredContent: value as Record<string, unknown>,
  };
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}
