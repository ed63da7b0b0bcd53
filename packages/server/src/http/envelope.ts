import { ERROR_CODES, type ErrorCode, redactSecrets, redactText } from '@agent-otp/core';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from './env.ts';

/** The success envelope of SPEC §5. */
export function ok<T, S extends ContentfulStatusCode = 200>(c: Context<AppEnv>, data: T, status?: S) {
  return c.json({ success: true as const, data }, (status ?? 200) as S);
}

/**
 * The error envelope of SPEC §5, with the status the catalogue gives the code. Messages and
 * details may quote the request (a path, a value that failed validation): token-shaped text in
 * them is redacted, so an error body never echoes a credential.
 */
export function fail(c: Context<AppEnv>, code: ErrorCode, message?: string, details?: unknown) {
  const { status, body } = errorEnvelope(code, c.get('requestId'), message, details);
  return c.json(body, status);
}

/**
 * The status and body of an error answer, independent of any framework: the Hono routes and the
 * agent routes' plain node:http path (http/fast-routes) both answer errors with it.
 */
export function errorEnvelope(code: ErrorCode, requestId: string, message?: string, details?: unknown) {
  const body = {
    success: false as const,
    error: {
      code,
      message: redactText(message ?? ERROR_CODES[code].message),
      ...(details === undefined ? {} : { details: redactSecrets(details) }),
      requestId,
    },
  };
  return { status: ERROR_CODES[code].status as ContentfulStatusCode, body };
}
