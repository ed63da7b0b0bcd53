/**
 * The part every adapter shares: ask Agent OTP for a one-time permission for one tool call,
 * spend the token with the call's arguments, and only then run the tool. Framework entry files
 * (`langchain.ts`, `openai-agents.ts`, `vercel-ai.ts`) turn the outcome into their library's
 * idiom; this file imports no framework, so it loads without any of them installed.
 */
import {
  type AgentOTPClient,
  AgentOTPError,
  InvalidTokenError,
  type PendingApprovalInfo,
  PermissionDeniedError,
  PermissionExpiredError,
  type PermissionRequest,
  type PermissionResult,
  type Scope,
  ScopeViolationError,
  TimeoutError,
  TokenExpiredError,
  TokenRevokedError,
  TokenUsedError,
} from '@orrisai/agent-otp-sdk';

/** A fixed value, or one computed from the call's arguments. */
export type FromArgs<Args, T> = T | ((args: Args) => T);

/**
 * How a tool call becomes a permission request.
 *
 * @example
 * ```ts
 * const options: PermissionOptions<{ to: string; subject: string }> = {
 *   client: otp,
 *   action: 'gmail.send',
 *   resource: (args) => `email:${args.to}`,
 *   scope: { max_emails: 1, subject_pattern: '^Invoice' },
 * };
 * ```
 */
export interface PermissionOptions<Args> {
  client: AgentOTPClient;
  /** The action asked for, e.g. `gmail.send`. */
  action: FromArgs<Args, string>;
  /** What the call acts on, `type:identifier`. */
  resource?: FromArgs<Args, string | undefined>;
  /** Constraints asked for; the server checks the spent call's details against the granted scope. */
  scope?: FromArgs<Args, Scope | undefined>;
  /** For the approver and the policy's `context.*` conditions. Default `{ arguments: args }`. */
  context?: FromArgs<Args, Record<string, unknown> | undefined>;
  /** What the call does, checked against the granted scope when the token is spent. Default: the arguments. */
  actionDetails?: (args: Args) => Record<string, unknown>;
  /** Token lifetime in seconds once approved. */
  ttl?: number;
  /** Longest wait for a human's decision in ms. Default: the server's approval deadline. */
  timeout?: number;
  /** Called when a human must decide, with where to do it (e.g. to show the link). */
  onPendingApproval?: (info: PendingApprovalInfo, args: Args) => void | Promise<void>;
}

/**
 * Why a call did not run, in words an agent (and its developer) can act on.
 *
 * @example
 * ```ts
 * if (!outcome.ran) console.log(outcome.refusal.code, outcome.refusal.message);
 * ```
 */
export interface Refusal {
  /** `PERMISSION_DENIED`, `PERMISSION_EXPIRED`, `SCOPE_VIOLATION`, `TOKEN_USED`, `TIMEOUT`, … */
  code: string;
  /** One sentence for the model: what was refused, why, and that the tool did not run. */
  message: string;
  error: AgentOTPError;
}

/** The outcome of a guarded call: its value, or why it never ran. */
export type Guarded<T> = { ran: true; value: T } | { ran: false; refusal: Refusal };

function resolve<Args, T>(value: FromArgs<Args, T>, args: Args): T {
  return typeof value === 'function' ? (value as (args: Args) => T)(args) : value;
}

/** The permission request for one call, built from the options and the call's arguments. */
export function requestFor<Args>(options: PermissionOptions<Args>, args: Args): PermissionRequest {
  const request: PermissionRequest = {
    action: resolve(options.action, args),
    context: options.context === undefined ? { arguments: args } : resolve(options.context, args),
  };
  const resource = options.resource === undefined ? undefined : resolve(options.resource, args);
  const scope = options.scope === undefined ? undefined : resolve(options.scope, args);
  if (resource !== undefined) request.resource = resource;
  if (scope !== undefined) request.scope = scope;
  if (options.ttl !== undefined) request.ttl = options.ttl;
  return request;
}

/** The details the token is spent with: by default the arguments themselves, so `max_amount` checks `amount`. */
export function detailsFor<Args>(options: PermissionOptions<Args>, args: Args): Record<string, unknown> {
  if (options.actionDetails) return options.actionDetails(args);
  if (typeof args === 'object' && args !== null && !Array.isArray(args))
    return { ...(args as Record<string, unknown>) };
  return { input: args };
}

/**
 * Runs `run` only after a permission for this call was granted and its token spent with the
 * call's details. A refusal (denied, expired, out of scope, token no longer valid, no decision
 * in time) comes back as a value; anything else (a wrong key, the server unreachable, an error
 * of `run` itself) is thrown unchanged. The token is spent BEFORE `run`: a crash mid-operation
 * cannot leave a reusable token behind, and a scope violation stops the call.
 *
 * @example
 * ```ts
 * const outcome = await guardCall(options, { to: 'a@example.com' }, () => mailer.send(...));
 * ```
 */
export async function guardCall<Args, T>(
  options: PermissionOptions<Args>,
  args: Args,
  run: () => Promise<T>,
  signal?: AbortSignal,
): Promise<Guarded<T>> {
  const request = requestFor(options, args);
  let started = false;
  try {
    const value = await options.client.executeWithPermission(
      {
        ...request,
        ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
        ...(options.onPendingApproval
          ? { onPendingApproval: (info: PendingApprovalInfo) => options.onPendingApproval?.(info, args) }
          : {}),
      },
      async () => {
        started = true;
        return await run();
      },
      { actionDetails: detailsFor(options, args), ...(signal ? { signal } : {}) },
    );
    return { ran: true, value };
  } catch (error) {
    // An error of the tool itself is the tool's business, even when it is an SDK error.
    if (started) throw error;
    const refusal = refusalOf(error, request.action);
    if (!refusal) throw error;
    return { ran: false, refusal };
  }
}

/**
 * The second half of `guardCall`, for a permission requested earlier (the OpenAI Agents adapter
 * asks in `needsApproval` and spends in `execute`): waits when it is still pending, refuses when
 * it was not granted, otherwise spends the token with the call's details and runs `run`.
 *
 * @example
 * ```ts
 * const outcome = await settleAndRun(options, args, await otp.requestPermission(request), run);
 * ```
 */
export async function settleAndRun<Args, T>(
  options: PermissionOptions<Args>,
  args: Args,
  permission: PermissionResult,
  run: () => Promise<T>,
  signal?: AbortSignal,
): Promise<Guarded<T>> {
  const action = resolve(options.action, args);
  try {
    let decided = permission;
    if (decided.status === 'pending') {
      decided = await options.client.waitForDecision(decided.id, {
        ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
        ...(signal ? { signal } : {}),
      });
    }
    if (decided.status !== 'approved') throw notGranted(decided);
    await options.client.useToken(decided.id, decided.token, detailsFor(options, args), { signal });
  } catch (error) {
    const refusal = refusalOf(error, action);
    if (!refusal) throw error;
    return { ran: false, refusal };
  }
  return { ran: true, value: await run() };
}

/** The error `executeWithPermission` throws for a permission that was not granted. */
export function notGranted(permission: PermissionResult): AgentOTPError {
  const details = { permissionId: permission.id, status: permission.status, reason: permission.reason };
  if (permission.status === 'expired') {
    return new PermissionExpiredError(`permission ${permission.id} expired before a decision`, { details });
  }
  if (permission.status === 'pending') {
    return new PermissionDeniedError(`permission ${permission.id} is still pending`, {
      code: 'PERMISSION_PENDING',
      details,
    });
  }
  return new PermissionDeniedError(`permission ${permission.id} was not granted: ${permission.reason}`, {
    details,
  });
}

/** The SDK errors that mean "not allowed (now)", as opposed to a broken setup. */
const REFUSALS = [
  PermissionDeniedError,
  PermissionExpiredError,
  ScopeViolationError,
  TokenUsedError,
  TokenExpiredError,
  TokenRevokedError,
  InvalidTokenError,
  TimeoutError,
];

/** Turns a refusal error into a `Refusal`; undefined for errors that are not refusals. */
export function refusalOf(error: unknown, action: string): Refusal | undefined {
  if (!(error instanceof AgentOTPError)) return undefined;
  if (!REFUSALS.some((kind) => error instanceof kind)) return undefined;
  return {
    code: error.code,
    message: `Agent OTP refused "${action}" (${error.code}): ${error.message}. The tool did not run.`,
    error,
  };
}
