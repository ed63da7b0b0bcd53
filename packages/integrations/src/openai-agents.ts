/**
 * OpenAI Agents SDK: a function tool whose calls need a one-time permission, wired into the
 * SDK's own human-in-the-loop flow.
 *
 * `withPermission(func, options)` returns `{ needsApproval, execute }` to spread into
 * `tool({...})`:
 *
 * - `needsApproval` asks Agent OTP for a permission for this call, without waiting. Granted or
 *   refused by policy → `false` (no interruption: `execute` spends the grant or reports the
 *   refusal). A human must decide → `true`: the run stops with an interruption, and
 *   `onPendingApproval` gets the approval link.
 * - `settleApprovals(result.state)` waits for the humans' decisions in Agent OTP for the
 *   interruptions of guarded tools, then approves or rejects each in the run state (a rejection
 *   carries the reason for the model); resume with `run(agent, result.state)`.
 * - `execute` never trusts the run state alone: it checks the permission itself (waiting if it
 *   is still pending), spends the token with the call's arguments, and only then runs the
 *   wrapped function. A refusal comes back as the tool's output, so the model sees why; the
 *   wrapped function never runs then. When no permission was requested for this call (a run
 *   state restored in another process, or a direct `invoke`), `execute` requests one and waits.
 *
 * Only types are imported from `@openai/agents`, so this entry file loads without it.
 */
import type { RunContext, RunState, RunToolApprovalItem } from '@openai/agents';
import type { AgentOTPClient, PermissionResult } from '@orrisai/agent-otp-sdk';
import {
  type Guarded,
  guardCall,
  type PermissionOptions,
  refusalOf,
  requestFor,
  settleAndRun,
} from './guard.ts';

/** The part of the SDK's `ToolCallDetails` this adapter reads. */
interface CallDetails {
  toolCall?: { callId?: string } | undefined;
  signal?: AbortSignal | undefined;
}

interface Requested {
  client: AgentOTPClient;
  action: string;
  permission: PermissionResult;
  /** The arguments asked for: `execute` spends this grant only on the very same call. */
  input: unknown;
}

/**
 * Permissions requested by `needsApproval`, by the model's call id, until `execute` (or a
 * rejection) settles them. In memory: a run resumed in another process requests afresh.
 */
const requested = new Map<string, Requested>();

/** What `withPermission` returns: spread both into `tool({...})`. */
export interface PermissionHooks<Args, Result> {
  needsApproval: (runContext: RunContext<unknown>, input: Args, callId?: string) => Promise<boolean>;
  execute: (input: Args, runContext?: RunContext<unknown>, details?: CallDetails) => Promise<Result | string>;
}

/**
 * Guards an OpenAI Agents function tool with a one-time permission.
 *
 * @example
 * ```ts
 * import { tool } from '@openai/agents';
 * import { z } from 'zod';
 * import { withPermission } from '@agent-otp/integrations/openai-agents';
 *
 * const transfer = tool({
 *   name: 'transfer',
 *   description: 'Transfer money',
 *   parameters: z.object({ to: z.string(), amount: z.number() }),
 *   ...withPermission(async ({ to, amount }) => bank.transfer(to, amount), {
 *     client: otp,
 *     action: 'bank.transfer',
 *     scope: ({ amount }) => ({ max_amount: amount }),
 *     onPendingApproval: (info) => console.log(`Approve at ${info.approvalUrl}`),
 *   }),
 * });
 * ```
 */
export function withPermission<Args, Result>(
  func: (input: Args) => Promise<Result>,
  options: PermissionOptions<Args>,
): PermissionHooks<Args, Result> {
  return {
    async needsApproval(_runContext, input, callId) {
      const request = requestFor(options, input);
      const permission = await options.client.requestPermission({ ...request, waitForApproval: false });
      if (callId)
        requested.set(callId, { client: options.client, action: request.action, permission, input });
      if (permission.status !== 'pending') return false;
      await options.onPendingApproval?.(
        {
          id: permission.id,
          approvalUrl: permission.approvalUrl,
          eventsUrl: permission.eventsUrl,
          expiresAt: permission.expiresAt,
        },
        input,
      );
      return true;
    },
    async execute(input, _runContext, details) {
      const callId = details?.toolCall?.callId;
      const earlier = callId ? requested.get(callId) : undefined;
      if (callId) requested.delete(callId);
      const run = () => func(input);
      const signal = details?.signal;
      // The grant must be for this very call: same client, same action, same arguments.
      const matches =
        earlier !== undefined &&
        earlier.client === options.client &&
        earlier.action === requestFor(options, input).action &&
        JSON.stringify(earlier.input) === JSON.stringify(input);
      const outcome: Guarded<Result> = matches
        ? await settleAndRun(options, input, earlier.permission, run, signal)
        : await guardCall(options, input, run, signal);
      return outcome.ran ? outcome.value : outcome.refusal.message;
    },
  };
}

/**
 * What `settleApprovals` did with each interruption of a guarded tool.
 *
 * @example
 * ```ts
 * const { approved, rejected } = await settleApprovals(result.state);
 * ```
 */
export interface Settled {
  approved: RunToolApprovalItem[];
  rejected: RunToolApprovalItem[];
}

/**
 * Waits for the Agent OTP decision of every interruption raised by a guarded tool and records
 * it in the run state: approved → `state.approve(item)`, anything else → `state.reject(item)`
 * with the reason as the message the model sees. Interruptions of other tools are left alone.
 * A wait that passes `timeout` (ms) rejects the call and cancels its pending request.
 *
 * @example
 * ```ts
 * let result = await run(agent, 'Pay invoice 42');
 * while (result.interruptions.length > 0) {
 *   await settleApprovals(result.state);
 *   result = await run(agent, result.state);
 * }
 * ```
 */
export async function settleApprovals(
  // biome-ignore lint/suspicious/noExplicitAny: any agent and context type of the caller's run.
  state: RunState<any, any>,
  options: { timeout?: number; signal?: AbortSignal } = {},
): Promise<Settled> {
  const settled: Settled = { approved: [], rejected: [] };
  for (const item of state.getInterruptions()) {
    const callId = 'callId' in item.rawItem ? item.rawItem.callId : undefined;
    const entry = callId ? requested.get(callId) : undefined;
    if (!entry || !callId) continue;
    let permission = entry.permission;
    try {
      if (permission.status === 'pending') {
        permission = await entry.client.waitForDecision(permission.id, options);
        // The decision (and its one-time token delivery) is kept for `execute`.
        entry.permission = permission;
      }
    } catch (error) {
      const refusal = refusalOf(error, entry.action);
      if (!refusal) throw error;
      await entry.client.revoke(permission.id, 'no decision in time').catch(() => undefined);
      requested.delete(callId);
      state.reject(item, { message: refusal.message });
      settled.rejected.push(item);
      continue;
    }
    if (permission.status === 'approved') {
      state.approve(item);
      settled.approved.push(item);
    } else {
      requested.delete(callId);
      state.reject(item, {
        message: `Agent OTP refused "${entry.action}" (${permission.status}): ${permission.reason}. The tool did not run.`,
      });
      settled.rejected.push(item);
    }
  }
  return settled;
}

export type { Guarded, PermissionOptions, Refusal } from './guard.ts';
