import { AuthenticationError, ValidationError } from './errors.ts';
import type { FetchLike, TransportSettings } from './transport.ts';
import type { PendingApprovalInfo, PermissionRequest, PermissionStatus } from './types.ts';

/**
 * The SDK's version, sent in the default `User-Agent`. Kept in step with package.json by hand:
 * importing JSON would tie the SDK to one bundler.
 *
 * @example
 * ```ts
 * console.log(`agent-otp-sdk ${SDK_VERSION}`);
 * ```
 */
export const SDK_VERSION = '0.1.0';

/**
 * Options of `new AgentOTPClient(…)`. The SDK reads no environment variables (a library must
 * not); pass `process.env.…` values in yourself.
 *
 * @example
 * ```ts
 * const options: AgentOTPClientOptions = {
 *   apiKey: process.env.AGENT_OTP_KEY,
 *   baseUrl: 'https://otp.internal.example.com',
 *   timeoutMs: 10_000,
 * };
 * ```
 */
export interface AgentOTPClientOptions {
  /** The agent's API key, `ak_…`. Typed as optional so `process.env.X` fits; a missing key throws. */
  apiKey?: string | undefined;
  /** Where the server is. Default `http://localhost:8787`. */
  baseUrl?: string | undefined;
  /** A fetch implementation; default the global `fetch`. */
  fetch?: FetchLike | undefined;
  /** Time allowed for one HTTP attempt, in ms. Default 30000. */
  timeoutMs?: number | undefined;
  /** How many times a failed attempt may be repeated (network errors; 5xx on reads only). Default 2. */
  maxRetries?: number | undefined;
  /** Sent as `User-Agent`. Default `agent-otp-sdk/<version>`. */
  userAgent?: string | undefined;
}

/**
 * Options of `requestPermission`: the request itself plus how to wait for a human.
 *
 * @example
 * ```ts
 * const options: RequestPermissionOptions = {
 *   action: 'bank.transfer',
 *   scope: { max_amount: 100 },
 *   waitForApproval: true,
 *   timeout: 10 * 60_000,
 *   onPendingApproval: (info) => console.log(`Waiting for approval: ${info.approvalUrl}`),
 * };
 * ```
 */
export interface RequestPermissionOptions extends PermissionRequest {
  /** When the policy asks a human, wait for the decision instead of resolving `pending`. */
  waitForApproval?: boolean;
  /** Longest wait for the decision in ms (the request itself is bounded by `timeoutMs`). Default: until the server's approval deadline. */
  timeout?: number;
  /** Called once, before waiting, with where a human can decide. May be async; waiting starts when it resolves. */
  onPendingApproval?: (info: PendingApprovalInfo) => void | Promise<void>;
  /** Aborts the request or the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Names this request, so that repeating it (a retried or parallel tool call) returns the same
   * permission instead of asking again; the same key with a different request is refused
   * (`IDEMPOTENCY_KEY_REUSED`). Keys are per agent and kept 24 h by the server; 1–255 visible
   * ASCII characters. Without one, the SDK makes a key per call, so that its own retries after a
   * lost answer never create a second request. A repeat whose permission was auto-approved
   * carries no token (it went out with the first answer) and rejects with `TOKEN_NOT_DELIVERED`.
   */
  idempotencyKey?: string;
}

/**
 * Options of `waitForDecision`.
 *
 * @example
 * ```ts
 * const options: WaitOptions = { timeout: 60_000, signal: AbortSignal.timeout(120_000) };
 * ```
 */
export interface WaitOptions {
  /** Longest wait in ms; then a `TimeoutError`. Default: until the server reports a decision or expiry. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Filters and paging of `listPermissions`.
 *
 * @example
 * ```ts
 * const query: ListPermissionsQuery = { status: 'pending', action: 'gmail.send', limit: 20 };
 * ```
 */
export interface ListPermissionsQuery {
  status?: PermissionStatus;
  action?: string;
  /** Page size, 1..200 (server default 50). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  signal?: AbortSignal;
}

/**
 * Per-call options of the simple methods.
 *
 * @example
 * ```ts
 * await otp.getPermission(id, { signal: AbortSignal.timeout(5000) });
 * ```
 */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** Validates the constructor options once, so a typo fails at start, not at the first request. */
export function resolveSettings(options: AgentOTPClientOptions): TransportSettings {
  const { apiKey } = options;
  if (!apiKey) {
    throw new AuthenticationError('MISSING_API_KEY', 'apiKey is required: pass the agent API key (ak_…)');
  }
  if (!apiKey.startsWith('ak_')) {
    // The key itself is never echoed: error messages end up in logs.
    throw new AuthenticationError('MISSING_API_KEY', 'apiKey must be an agent API key starting with "ak_"');
  }
  const baseUrl = options.baseUrl ?? 'http://localhost:8787';
  let protocol: string;
  try {
    protocol = new URL(baseUrl).protocol;
  } catch {
    throw new ValidationError('INVALID_OPTIONS', `baseUrl ${JSON.stringify(baseUrl)} is not a URL`);
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new ValidationError('INVALID_OPTIONS', 'baseUrl must be an http:// or https:// URL');
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!(timeoutMs > 0)) throw new ValidationError('INVALID_OPTIONS', 'timeoutMs must be a positive number');
  const maxRetries = options.maxRetries ?? 2;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new ValidationError('INVALID_OPTIONS', 'maxRetries must be a whole number ≥ 0');
  }
  // Looked up per call, not captured: a test or an app may wrap the global after construction.
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return {
    apiKey,
    baseUrl,
    fetch: fetchImpl,
    timeoutMs,
    maxRetries,
    userAgent: options.userAgent ?? `agent-otp-sdk/${SDK_VERSION}`,
  };
}
