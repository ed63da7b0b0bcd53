/**
 * `@orrisai/agent-otp-sdk`: the TypeScript client of Agent OTP, one-time permissions for AI
 * agents. No runtime dependencies: it uses the global `fetch` (or the one you pass).
 *
 * @example
 * ```ts
 * import { AgentOTPClient, ScopeViolationError } from '@orrisai/agent-otp-sdk';
 *
 * const otp = new AgentOTPClient({ apiKey: process.env.AGENT_OTP_KEY });
 * ```
 *
 * @packageDocumentation
 */

export { AgentOTPClient } from './client.ts';
export {
  AgentOTPError,
  type AgentOTPErrorOptions,
  AuthenticationError,
  InvalidTokenError,
  NetworkError,
  NotFoundError,
  PermissionDeniedError,
  PermissionExpiredError,
  RateLimitError,
  ScopeViolationError,
  ServerError,
  TimeoutError,
  TokenExpiredError,
  TokenRevokedError,
  TokenUsedError,
  ValidationError,
  type ValidationIssue,
} from './errors.ts';
export type { ExecuteOptions, Operation } from './execute.ts';
export {
  type AgentOTPClientOptions,
  type CallOptions,
  type ListPermissionsQuery,
  type RequestPermissionOptions,
  SDK_VERSION,
  type WaitOptions,
} from './options.ts';
export type { FetchLike } from './transport.ts';
export type {
  Adjustment,
  ApprovedPermission,
  ClosedPermission,
  PendingApprovalInfo,
  PendingPermission,
  PermissionPage,
  PermissionRequest,
  PermissionResult,
  PermissionStatus,
  PermissionView,
  PolicyDecision,
  Scope,
  ScopeEnforcement,
  UseResult,
  VerifyResult,
} from './types.ts';
