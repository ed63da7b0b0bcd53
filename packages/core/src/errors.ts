/**
 * The one catalogue of error codes. Every code has an HTTP status and a default message; the
 * server maps codes to responses in one place, the SDK maps them back to typed errors.
 */
export const ERROR_CODES = {
  VALIDATION_ERROR: { status: 400, message: 'The request is invalid' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON' },
  UNAUTHORIZED: { status: 401, message: 'A valid API key is required' },
  INVALID_TOKEN: { status: 401, message: 'The token is not valid for this permission' },
  FORBIDDEN: { status: 403, message: 'This credential may not do that' },
  AGENT_DISABLED: { status: 403, message: 'This agent is disabled' },
  AGENT_EXPIRED: { status: 403, message: 'This agent key has expired' },
  SCOPE_VIOLATION: { status: 403, message: 'The action is outside the granted scope' },
  PERMISSION_DENIED: { status: 403, message: 'The permission was denied' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  TOKEN_USED: { status: 409, message: 'The token has already been used' },
  INVALID_STATE: { status: 409, message: 'The permission is not in a state that allows this' },
  CONFLICT: { status: 409, message: 'Conflict' },
  TOKEN_EXPIRED: { status: 410, message: 'The token has expired' },
  TOKEN_REVOKED: { status: 410, message: 'The token has been revoked' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be application/json' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'The Idempotency-Key was already used with a different request',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, message: 'Internal error' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is not ready' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An expected failure with a catalogued code. Services throw or return these; never a bare Error for a user mistake. */
export class AgentOtpError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'AgentOtpError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}
