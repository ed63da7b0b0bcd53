import { AgentOtpError } from '@agent-otp/core';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';

/**
 * Bodies of POST routes must be JSON objects. Checked before the schema runs so that a wrong
 * content type or broken JSON gets its own clear error instead of "field required". The parsed
 * body is cached by Hono, so the validator does not parse it again.
 */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const type = c.req.header('content-type') ?? '';
    // A POST without a body and without a content type (e.g. revoke) is an empty object.
    if (!type && (await c.req.text()).length === 0) return next();
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      throw new AgentOtpError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send the body as JSON with content-type application/json',
      );
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new AgentOtpError('INVALID_JSON', 'the request body is not valid JSON');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new AgentOtpError('VALIDATION_ERROR', 'the request body must be a JSON object', {
        field: 'body',
      });
    }
    await next();
  };
}
