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

/**
 * Reads the request stream, refusing as soon as it passes `limit` bytes. Plain 'data' / 'end'
 * listeners: an async iterator over the stream costs more than the rest of reading a small body.
 */
function readLimited(incoming: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (error?: Error) => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
      if (error) {
        // Stop reading the rest of a refused body, as leaving the async iterator did.
        incoming.destroy();
        reject(error);
      } else resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => done();
    const onError = (error: Error) => done(error);
    // Closed before its end (the client went away): nothing will come, fail like the iterator did.
    const onClose = () => done(new Error('the request was closed before its body ended'));
    if (incoming.readableEnded) {
      resolve('');
      return;
    }
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}
