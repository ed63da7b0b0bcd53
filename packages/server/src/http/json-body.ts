import type { IncomingMessage } from 'node:http';
import { AgentOtpError } from '@agent-otp/core';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Bodies of POST routes must be JSON objects of at most `limit` bytes. Checked before the schema
 * runs, so a wrong content type, broken JSON or a huge body gets its own clear error instead of
 * "field required". On the Node server the body is read straight from the socket stream (no
 * WHATWG Request is built, which costs more than the rest of a small request); the text is put
 * in Hono's body cache, so the validator parses it without reading again.
 */
export function jsonBody(limit: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const type = c.req.header('content-type') ?? '';
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > limit) throw tooLarge(limit);
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const text = incoming ? await readLimited(incoming, limit) : await c.req.text();
    if (Buffer.byteLength(text) > limit) throw tooLarge(limit);
    // Hono stores (and chains on) a promise here, whatever its type declaration says.
    c.req.bodyCache.text = Promise.resolve(text) as unknown as string;
    // A POST without a body and without a content type (e.g. revoke) is an empty object.
    if (!type && text.length === 0) return next();
    if (!JSON_TYPE.test(type)) {
      throw new AgentOtpError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send the body as JSON with content-type application/json',
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AgentOtpError('INVALID_JSON', 'the request body is not valid JSON');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new AgentOtpError('VALIDATION_ERROR', 'the request body must be a JSON object', {
        field: 'body',
      });
    }
    c.set('jsonBody', body);
    await next();
  };
}

function tooLarge(limit: number) {
  return new AgentOtpError('PAYLOAD_TOO_LARGE', `the request body exceeds ${limit} bytes`);
}

/** Reads the request stream, refusing as soon as it passes `limit` bytes. */
async function readLimited(incoming: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
