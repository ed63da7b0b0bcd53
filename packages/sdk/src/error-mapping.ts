import {
  AgentOTPError,
  type AgentOTPErrorOptions,
  AuthenticationError,
  InvalidTokenError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ScopeViolationError,
  ServerError,
  TokenExpiredError,
  TokenRevokedError,
  TokenUsedError,
  ValidationError,
} from './errors.ts';

type ErrorClass = new (code: string, message: string, options: AgentOTPErrorOptions) => AgentOTPError;
type MakeError = (code: string, message: string, options: AgentOTPErrorOptions) => AgentOTPError;

const make =
  (Class: ErrorClass): MakeError =>
  (code, message, options) =>
    new Class(code, message, options);

/**
 * The server's error catalogue (packages/core/src/errors.ts) → SDK classes. Codes not listed fall
 * back to the HTTP status, so a code added to the server later still gets a sensible class.
 */
const BY_CODE: Record<string, MakeError> = {
  UNAUTHORIZED: make(AuthenticationError),
  AGENT_DISABLED: make(AuthenticationError),
  AGENT_EXPIRED: make(AuthenticationError),
  FORBIDDEN: make(AuthenticationError),
  INVALID_TOKEN: make(InvalidTokenError),
  SCOPE_VIOLATION: make(ScopeViolationError),
  PERMISSION_DENIED: (code, message, options) => new PermissionDeniedError(message, { ...options, code }),
  NOT_FOUND: make(NotFoundError),
  TOKEN_USED: make(TokenUsedError),
  TOKEN_EXPIRED: make(TokenExpiredError),
  TOKEN_REVOKED: make(TokenRevokedError),
  VALIDATION_ERROR: make(ValidationError),
  INVALID_JSON: make(ValidationError),
  PAYLOAD_TOO_LARGE: make(ValidationError),
  UNSUPPORTED_MEDIA_TYPE: make(ValidationError),
  IDEMPOTENCY_KEY_REUSED: make(ValidationError),
  RATE_LIMITED: make(RateLimitError),
  INTERNAL_ERROR: make(ServerError),
  SERVICE_UNAVAILABLE: make(ServerError),
};

function byStatus(status: number): MakeError {
  if (status >= 500) return make(ServerError);
  if (status === 429) return make(RateLimitError);
  if (status === 404) return make(NotFoundError);
  if (status === 401) return make(AuthenticationError);
  if (status === 400 || status === 413 || status === 415) return make(ValidationError);
  return make(AgentOTPError);
}

/** The `error` member of the server's failure envelope. */
interface ErrorEnvelope {
  code?: unknown;
  message?: unknown;
  details?: unknown;
  requestId?: unknown;
}

/**
 * Turns a failed HTTP response into a typed error. `body` is the parsed JSON, or undefined when
 * the response was not JSON (a proxy's HTML error page, say).
 */
export function errorFromResponse(response: Response, body: unknown): AgentOTPError {
  const status = response.status;
  const envelope = (body as { error?: ErrorEnvelope } | undefined)?.error;
  const code =
    typeof envelope?.code === 'string' ? envelope.code : status >= 500 ? 'SERVER_ERROR' : 'HTTP_ERROR';
  const message =
    typeof envelope?.message === 'string'
      ? envelope.message
      : `unexpected HTTP ${status} from the Agent OTP server`;
  const requestId =
    typeof envelope?.requestId === 'string'
      ? envelope.requestId
      : (response.headers.get('x-request-id') ?? undefined);
  const options: AgentOTPErrorOptions & { retryAfter?: number } = {
    status,
    details: envelope?.details,
    requestId,
  };
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  if (retryAfter !== undefined) options.retryAfter = retryAfter;

  // Own properties only: a code such as "constructor" must not reach Object.prototype.
  const known = Object.hasOwn(BY_CODE, code) ? BY_CODE[code] : undefined;
  return (known ?? byStatus(status))(code, message, options);
}

/** `Retry-After` is seconds or an HTTP date; both become whole seconds from now. */
export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
