import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  type CallToolResult,
  ErrorCode,
  McpError,
  type Progress,
  type ProgressToken,
  type RequestId,
  type ServerNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { type PermissionResult, TimeoutError } from '@orrisai/agent-otp-sdk';
import { describeOtpError, type OtpAccess } from './otp-access.ts';
import { pendingNotices } from './pending-notices.ts';

/** Errors the SDK raises on the guard's side of the pipe, not ones the wrapped server sent. */
const LOCAL_ERRORS = new Set<number>([ErrorCode.ConnectionClosed, ErrorCode.RequestTimeout]);

/** One `tools/call` as the guard sees it. */
export interface GuardedCall {
  guardName: string;
  tool: string;
  arguments: Record<string, unknown>;
  progressToken: ProgressToken | undefined;
  requestId: RequestId;
  /** Aborted when the MCP client cancels the call. */
  signal: AbortSignal;
}

export interface GuardDeps {
  otp: OtpAccess;
  server: Server;
  waitTimeoutMs: number | undefined;
  log: (line: string) => void;
  sendNotification: (notification: ServerNotification) => Promise<void>;
  /** Runs the call on the wrapped server, relaying its progress. */
  forward: (onprogress: (progress: Progress) => void) => Promise<CallToolResult>;
}

/**
 * Puts one tool call behind a one-time permission, in this order:
 *
 * 1. request `mcp.NAME.<tool>` on `mcp:NAME/<tool>` with the arguments as context, waiting for a
 *    human when the policy asks for one (the approval link goes to the client meanwhile);
 * 2. spend the token with the arguments as `actionDetails`, so the server checks them against the
 *    granted scope (a `path_pattern` bound by the policy, say) and the token is single-use;
 * 3. only then forward the call to the wrapped server.
 *
 * Spending before forwarding is what makes the guard fail closed: a use the server refuses
 * (scope violation, token expired or already used) stops the call before the tool runs. The
 * cost: if the wrapped tool then fails, the use is gone (as with `executeWithPermission`).
 * Every refusal is a tool error (`isError: true`) that says why, never a crash of the session.
 */
export async function guardCall(call: GuardedCall, deps: GuardDeps): Promise<CallToolResult> {
  const action = `mcp.${call.guardName}.${call.tool}`;
  const { client, baseUrl } = deps.otp;
  if (!client) return refusal(action, deps.otp.problem ?? 'no Agent OTP client');

  // Aborted by the client's cancel, or when the user declines to open the approval page.
  const stop = new AbortController();
  const signal = AbortSignal.any([call.signal, stop.signal]);
  const notices = pendingNotices(call, action, deps, stop);
  let permission: PermissionResult;
  try {
    permission = await client.requestPermission({
      action,
      resource: `mcp:${call.guardName}/${call.tool}`,
      context: { arguments: call.arguments },
      waitForApproval: true,
      timeout: deps.waitTimeoutMs,
      signal,
      onPendingApproval: notices.pending,
    });
  } catch (error) {
    // The SDK cancels a request nobody waits for any more, so no approver is left asked.
    if (error instanceof TimeoutError) {
      return refusal(
        action,
        `no decision within ${Math.round((deps.waitTimeoutMs ?? 0) / 1000)} s; request cancelled`,
      );
    }
    if (stop.signal.aborted) return refusal(action, String(stop.signal.reason));
    if (call.signal.aborted) return refusal(action, 'the client cancelled the call; request cancelled');
    return refusal(action, describeOtpError(error, baseUrl));
  } finally {
    await notices.done();
  }
  if (permission.status !== 'approved') return refusal(action, whyNot(permission));

  try {
    await client.useToken(permission.id, permission.token, call.arguments, { signal: call.signal });
  } catch (error) {
    return refusal(
      action,
      `the grant ${permission.id} does not allow these arguments: ${describeOtpError(error, baseUrl)}`,
    );
  }
  deps.log(`${action}: allowed by ${permission.id} (${permission.policy.decision}); forwarding`);
  try {
    return await deps.forward((progress) => {
      if (call.progressToken === undefined) return;
      const params = { ...progress, progressToken: call.progressToken };
      deps.sendNotification({ method: 'notifications/progress', params }).catch(() => undefined);
    });
  } catch (error) {
    // The wrapped server's own protocol errors (unknown tool, bad arguments) reach the client as
    // they would unwrapped; anything else (it exited, it timed out) is a tool error.
    if (error instanceof McpError && !LOCAL_ERRORS.has(error.code)) throw error;
    const why = error instanceof Error ? error.message : String(error);
    return toolError(
      `${action} was allowed (${permission.id}, token spent) but the wrapped server failed: ${why}`,
    );
  }
}

function whyNot(permission: Exclude<PermissionResult, { status: 'approved' }>): string {
  switch (permission.status) {
    case 'pending':
      return `${permission.id} is still pending`;
    case 'expired':
      return `${permission.id} expired before anyone decided`;
    case 'denied':
      return `${permission.id} was denied: ${permission.reason}`;
    default:
      return `${permission.id} is ${permission.status}: ${permission.reason}`;
  }
}

function refusal(action: string, why: string): CallToolResult {
  return toolError(`agent-otp refused ${action}: ${why}. The tool did not run.`);
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}
