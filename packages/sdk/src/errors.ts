/**
 * The SDK's typed errors. The server answers every failure with a catalogued UPPER_SNAKE code;
 * `errorFromBody` maps each code back to one class here, so callers can `instanceof` the case they
 * handle and still read the original `code`, `status`, `details` and `requestId` for logs.
 *
 * Expected outcomes are not errors: a request denied by policy or still pending resolves as a
 * value (see `PermissionResult`). Only the helpers that need a granted permission to go on
 * (`executeWithPermission`) turn a denial into `PermissionDeniedError`.
 */

/**
 * Options every SDK error accepts.
 *
 * @example
 * ```ts
 * throw new AgentOTPError('MY_CHECK_FAILED', 'recipient not on the allow-list', { details: { recipient } });
 * ```
 */
export interface AgentOTPErrorOptions {
  /** HTTP status of the response, when the error came from one. */
  status?: number;
  details?: unknown;
  /** The server's request id, to quote when reporting a problem. */
  requestId?: string;
  cause?: unknown;
}

/**
 * Base class of every error this SDK throws.
 *
 * @example
 * ```ts
 * try {
 *   await otp.useToken(permission.id, token);
 * } catch (error) {
 *   if (error instanceof AgentOTPError) console.error(error.code, error.requestId);
 *   throw error;
 * }
 * ```
 */
export class AgentOTPError extends Error {
  /** The server's error code (`TOKEN_USED`, …) or an SDK code (`TIMEOUT`, `NETWORK_ERROR`, …). */
  readonly code: string;
  /** HTTP status, or undefined when no response was received. */
  readonly status: number | undefined;
  readonly details: unknown;
  readonly requestId: string | undefined;

  constructor(code: string, message: string, options: AgentOTPErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
    this.details = options.details;
    this.requestId = options.requestId;
  }
}

/**
 * The permission was not granted (denied by policy or a human, cancelled, or revoked), so the
 * guarded operation did not run. `permission` is the final state.
 *
 * @example
 * ```ts
 * try {
 *   await otp.executeWithPermission({ action: 'bank.transfer' }, (token) => transfer(token));
 * } catch (error) {
 *   if (error instanceof PermissionDeniedError) console.log('not allowed:', error.message);
 * }
 * ```
 */
export class PermissionDeniedError extends AgentOTPError {
  constructor(message: string, options: AgentOTPErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'PERMISSION_DENIED', message, options);
  }
}

/**
 * The pending request passed its approval deadline before anyone decided.
 *
 * @example
 * ```ts
 * if (error instanceof PermissionExpiredError) await notifyOperator('nobody approved in time');
 * ```
 */
export class PermissionExpiredError extends AgentOTPError {
  constructor(message: string, options: AgentOTPErrorOptions = {}) {
    super('PERMISSION_EXPIRED', message, options);
  }
}

/**
 * The token has no uses left (HTTP 409 `TOKEN_USED`). Request a new permission.
 *
 * @example
 * ```ts
 * await otp.useToken(id, token);
 * await otp.useToken(id, token).catch((e) => e instanceof TokenUsedError); // true
 * ```
 */
export class TokenUsedError extends AgentOTPError {}

/**
 * The token's lifetime is over (HTTP 410 `TOKEN_EXPIRED`).
 *
 * @example
 * ```ts
 * if (error instanceof TokenExpiredError) permission = await otp.requestPermission(request);
 * ```
 */
export class TokenExpiredError extends AgentOTPError {}

/**
 * The token was revoked (HTTP 410 `TOKEN_REVOKED`).
 *
 * @example
 * ```ts
 * if (error instanceof TokenRevokedError) console.log('an operator revoked this grant');
 * ```
 */
export class TokenRevokedError extends AgentOTPError {}

/**
 * The token does not belong to this permission, or is malformed (HTTP 401 `INVALID_TOKEN`).
 *
 * @example
 * ```ts
 * await otp.useToken(id, 'otp_forged').catch((e) => e instanceof InvalidTokenError); // true
 * ```
 */
export class InvalidTokenError extends AgentOTPError {}

/**
 * `actionDetails` fall outside the granted scope (HTTP 403 `SCOPE_VIOLATION`). The token was not
 * spent. `constraint` names the scope key that refused, e.g. `subject_pattern`.
 *
 * @example
 * ```ts
 * try {
 *   await otp.useToken(id, token, { subject: 'Hello' });
 * } catch (error) {
 *   if (error instanceof ScopeViolationError) console.log(error.constraint); // 'subject_pattern'
 * }
 * ```
 */
export class ScopeViolationError extends AgentOTPError {
  readonly constraint: string | undefined;

  constructor(code: string, message: string, options: AgentOTPErrorOptions = {}) {
    super(code, message, options);
    const constraint = (options.details as { constraint?: unknown } | undefined)?.constraint;
    this.constraint = typeof constraint === 'string' ? constraint : undefined;
  }
}

/**
 * The API key is missing, malformed, unknown, disabled or expired (`UNAUTHORIZED`,
 * `AGENT_DISABLED`, `AGENT_EXPIRED`, `FORBIDDEN`, or `MISSING_API_KEY` thrown by the constructor before any request).
 *
 * @example
 * ```ts
 * try {
 *   new AgentOTPClient({ apiKey: process.env.AGENT_OTP_KEY });
 * } catch (error) {
 *   if (error instanceof AuthenticationError) console.error('set AGENT_OTP_KEY to an ak_… key');
 * }
 * ```
 */
export class AuthenticationError extends AgentOTPError {}

/**
 * One field the server refused, and why.
 *
 * @example
 * ```ts
 * const lines = error.issues.map((issue: ValidationIssue) => `${issue.field}: ${issue.message}`);
 * ```
 */
export interface ValidationIssue {
  field: string;
  message: string;
}

/**
 * The server refused the input (HTTP 400/413/415). `issues` lists each field and reason.
 *
 * @example
 * ```ts
 * await otp.requestPermission({ action: 'gmail.send', ttl: 5 }).catch((e) => {
 *   if (e instanceof ValidationError) console.log(e.issues); // [{ field: 'ttl', message: '…' }]
 * });
 * ```
 */
export class ValidationError extends AgentOTPError {
  get issues(): ValidationIssue[] {
    const details = this.details as { issues?: unknown; field?: unknown } | undefined;
    if (Array.isArray(details?.issues)) return details.issues as ValidationIssue[];
    // Service-level validation names a single field instead of a list.
    if (typeof details?.field === 'string') return [{ field: details.field, message: this.message }];
    return [];
  }
}

/**
 * No such permission for this agent (HTTP 404). Another agent's permission answers the same, so
 * ids cannot be probed.
 *
 * @example
 * ```ts
 * const found = await otp.getPermission(id).catch((e) => (e instanceof NotFoundError ? null : Promise.reject(e)));
 * ```
 */
export class NotFoundError extends AgentOTPError {}

/**
 * Too many requests (HTTP 429). Never retried automatically: wait `retryAfter` seconds.
 *
 * @example
 * ```ts
 * try {
 *   await otp.requestPermission(request);
 * } catch (error) {
 *   if (error instanceof RateLimitError) await sleep(error.retryAfter * 1000);
 * }
 * ```
 */
export class RateLimitError extends AgentOTPError {
  /** Seconds to wait before the next request (from `Retry-After`, else the error details). */
  readonly retryAfter: number;

  constructor(code: string, message: string, options: AgentOTPErrorOptions & { retryAfter?: number } = {}) {
    super(code, message, options);
    const fromDetails = (options.details as { retryAfter?: unknown } | undefined)?.retryAfter;
    this.retryAfter = options.retryAfter ?? (typeof fromDetails === 'number' ? fromDetails : 1);
  }
}

/**
 * A request or a wait for a decision took longer than allowed (`timeoutMs`, or `timeout` of
 * `waitForDecision`/`requestPermission`).
 *
 * @example
 * ```ts
 * await otp.waitForDecision(id, { timeout: 60_000 }).catch((e) => e instanceof TimeoutError);
 * ```
 */
export class TimeoutError extends AgentOTPError {
  constructor(message: string, options: AgentOTPErrorOptions = {}) {
    super('TIMEOUT', message, options);
  }
}

/**
 * The server could not be reached (after the allowed retries). `cause` holds the fetch error.
 *
 * @example
 * ```ts
 * if (error instanceof NetworkError) console.error('is the Agent OTP server running?', error.cause);
 * ```
 */
export class NetworkError extends AgentOTPError {
  constructor(message: string, options: AgentOTPErrorOptions = {}) {
    super('NETWORK_ERROR', message, options);
  }
}

/**
 * The server failed (HTTP 5xx), or answered something that is not the Agent OTP API.
 *
 * @example
 * ```ts
 * if (error instanceof ServerError) console.error(`server failed, request id ${error.requestId}`);
 * ```
 */
export class ServerError extends AgentOTPError {}
