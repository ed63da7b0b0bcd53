import { AgentOtpError } from '@agent-otp/core';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { AppEnv } from './env.ts';
import { fail, failWith } from './envelope.ts';

/**
 * The one place errors become responses: catalogued errors keep their code; Hono's own
 * exceptions (body limit, malformed JSON) get theirs; anything else is a bug, logged with the
 * request id and answered as a bare 500 that leaks nothing.
 */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context<AppEnv>) => {
    if (error instanceof AgentOtpError) return failWith(c, error);
    if (error instanceof HTTPException) {
      if (error.status === 413) return fail(c, 'PAYLOAD_TOO_LARGE');
      if (error.status === 400) return fail(c, 'INVALID_JSON', 'the request body is not valid JSON');
      if (error.status === 401) return fail(c, 'UNAUTHORIZED');
    }
    logger.error({ requestId: c.get('requestId'), err: error }, 'unhandled error');
    return fail(c, 'INTERNAL_ERROR', 'internal error; quote the request id when reporting it');
  };
}

export function notFound(c: Context<AppEnv>) {
  return fail(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`);
}
