import { AgentOtpError } from '@agent-otp/core';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { AppEnv } from './env.ts';
import { errorEnvelope, fail } from './envelope.ts';

/**
 * The one place errors become responses: catalogued errors keep their code; Hono's own
 * exceptions (body limit, malformed JSON) get theirs; anything else is a bug, logged with the
 * request id and answered as a bare 500 that leaks nothing.
 */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context<AppEnv>) => {
    const { status, body } = errorAnswer(error, c.get('requestId'), logger);
    return c.json(body, status);
  };
}

/** The status and body an error is answered with (shared by the Hono app and the fast routes). */
export function errorAnswer(error: unknown, requestId: string, logger: Logger) {
  if (error instanceof AgentOtpError) {
    return errorEnvelope(error.code, requestId, error.message, error.details ?? undefined);
  }
  if (error instanceof HTTPException) {
    if (error.status === 413) return errorEnvelope('PAYLOAD_TOO_LARGE', requestId);
    if (error.status === 400) {
      return errorEnvelope('INVALID_JSON', requestId, 'the request body is not valid JSON');
    }
    if (error.status === 401) return errorEnvelope('UNAUTHORIZED', requestId);
  }
  logger.error({ requestId, err: error }, 'unhandled error');
  return errorEnvelope('INTERNAL_ERROR', requestId, 'internal error; quote the request id when reporting it');
}

export function notFound(c: Context<AppEnv>) {
  return fail(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`);
}
