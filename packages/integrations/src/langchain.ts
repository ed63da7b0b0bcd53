/**
 * LangChain.js: guard a tool's function with a one-time permission.
 *
 * `withPermission(func, options)` returns a function with the same `(input, config)` shape that
 * `tool()` / `DynamicStructuredTool` take. Each call asks Agent OTP for a permission (waiting for
 * a human when the policy says so), spends the token with the call's arguments, and only then
 * runs `func`. A refusal never runs `func`; the agent sees why:
 *
 * - invoked with a tool call (as agents and `ToolNode` do): a `ToolMessage` with
 *   `status: "error"` carrying the reason, LangChain's own shape of a failed tool call;
 * - invoked with plain arguments: the reason as the tool's string result.
 *
 * `@langchain/core` is a peer dependency: only this entry file loads it.
 */
import { ToolMessage } from '@langchain/core/messages';
import type { ToolRunnableConfig } from '@langchain/core/tools';
import { guardCall, type PermissionOptions } from './guard.ts';

/**
 * Wraps a LangChain tool function so every call needs a one-time permission.
 *
 * @example
 * ```ts
 * import { tool } from '@langchain/core/tools';
 * import { z } from 'zod';
 * import { withPermission } from '@agent-otp/integrations/langchain';
 *
 * const sendEmail = tool(
 *   withPermission(async ({ to, subject }) => mailer.send(to, subject), {
 *     client: otp,
 *     action: 'gmail.send',
 *     resource: ({ to }) => `email:${to}`,
 *   }),
 *   { name: 'send_email', description: 'Send an email', schema: z.object({ to: z.string(), subject: z.string() }) },
 * );
 * ```
 */
export function withPermission<Args, Result>(
  func: (input: Args, config?: ToolRunnableConfig) => Result | Promise<Result>,
  options: PermissionOptions<Args>,
): (input: Args, config?: ToolRunnableConfig) => Promise<Result | ToolMessage | string> {
  return async (input, config) => {
    const outcome = await guardCall(options, input, async () => await func(input, config), config?.signal);
    if (outcome.ran) return outcome.value;
    const toolCallId = config?.toolCall?.id;
    if (!toolCallId) return outcome.refusal.message;
    return new ToolMessage({
      status: 'error',
      content: outcome.refusal.message,
      tool_call_id: toolCallId,
      ...(config?.toolCall?.name ? { name: config.toolCall.name } : {}),
      artifact: { code: outcome.refusal.code },
    });
  };
}

export type { Guarded, PermissionOptions, Refusal } from './guard.ts';
