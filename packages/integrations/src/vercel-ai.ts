/**
 * Vercel AI SDK: guard a tool's `execute` with a one-time permission.
 *
 * `withPermission(tool({ description, inputSchema, execute }), options)` returns the same tool
 * with its `execute` wrapped: each call asks Agent OTP for a permission (waiting for a human when
 * the policy says so), spends the token with the call's input, and only then runs the original
 * `execute`. A refusal never runs it and throws a `PermissionRefusedError` whose message says
 * why: the AI SDK turns an error thrown by `execute` into a `tool-error` part that goes back to
 * the model, its idiomatic failed tool call.
 *
 * Only types are imported from `ai`, so this entry file loads without it.
 */
import type { Tool, ToolExecutionOptions } from 'ai';
import { guardCall, type PermissionOptions, type Refusal } from './guard.ts';

/**
 * Thrown by a guarded `execute` when Agent OTP refused the call; the original never ran.
 *
 * @example
 * ```ts
 * if (error instanceof PermissionRefusedError) console.log(error.refusal.code);
 * ```
 */
export class PermissionRefusedError extends Error {
  readonly refusal: Refusal;
  constructor(refusal: Refusal) {
    super(refusal.message, { cause: refusal.error });
    this.name = 'PermissionRefusedError';
    this.refusal = refusal;
  }
}

/**
 * Wraps an AI SDK tool so every execution needs a one-time permission.
 *
 * @example
 * ```ts
 * import { tool } from 'ai';
 * import { z } from 'zod';
 * import { withPermission } from '@agent-otp/integrations/vercel-ai';
 *
 * const transfer = withPermission(
 *   tool({
 *     description: 'Transfer money',
 *     inputSchema: z.object({ to: z.string(), amount: z.number() }),
 *     execute: async ({ to, amount }) => bank.transfer(to, amount),
 *   }),
 *   { client: otp, action: 'bank.transfer', resource: ({ to }) => `account:${to}`, scope: ({ amount }) => ({ max_amount: amount }) },
 * );
 * ```
 */
export function withPermission<Input, Output>(
  tool: Tool<Input, Output>,
  options: PermissionOptions<Input>,
): Tool<Input, Output> {
  const execute = tool.execute;
  if (!execute) {
    // A tool without `execute` is run by the client, out of our reach: guarding it would be a lie.
    throw new TypeError('withPermission needs a tool with an execute function');
  }
  return {
    ...tool,
    execute: async (input: Input, callOptions: ToolExecutionOptions) => {
      const outcome = await guardCall(
        options,
        input,
        () => collect(execute(input, callOptions)),
        callOptions.abortSignal,
      );
      if (!outcome.ran) throw new PermissionRefusedError(outcome.refusal);
      return outcome.value;
    },
  } as Tool<Input, Output>;
}

/**
 * `execute` may return a value or an async iterable of preliminary results; the last one is the
 * result. Guarding happens once, before the first chunk, so the final value is what we return.
 */
async function collect<Output>(
  result: Output | PromiseLike<Output> | AsyncIterable<Output>,
): Promise<Output> {
  if (result && typeof result === 'object' && Symbol.asyncIterator in result) {
    let last: Output | undefined;
    for await (const chunk of result as AsyncIterable<Output>) last = chunk;
    return last as Output;
  }
  return await (result as Output | PromiseLike<Output>);
}

export type { Guarded, PermissionOptions, Refusal } from './guard.ts';
