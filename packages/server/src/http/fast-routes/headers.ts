import type { IncomingHttpHeaders } from 'node:http';
import { fastContentType } from '../fast-input.ts';
import { SAFE_REQUEST_ID } from '../request-context.ts';

/**
 * The headers hono/secure-headers sets with its defaults (as app.ts uses it), copied from its
 * HEADERS_MAP. test/permissions-fast-routes.test.ts compares every answer's header set with the
 * Hono path's, so a change of Hono's defaults fails there.
 */
export const SECURE_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'SAMEORIGIN',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
};

const BEARER_AGENT_KEY = 'Bearer ak_';

/** What the fast path needs from the request's headers, or null to leave it to the Hono app. */
export interface FastHeaders {
  apiKey: string;
  length: number;
  requestId: string | undefined;
  idempotencyKey: string | undefined;
}

/**
 * Accepts only the plain shape of an agent's request: `Bearer ak_…` (one space, no other
 * whitespace), content-type application/json, a Content-Length within the limit and no
 * Transfer-Encoding or Expect, a safe X-Request-Id if any. Anything else is not refused here
 * but left to the Hono app, whose middleware gives each case its answer.
 */
export function readFastHeaders(
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[],
  limit: number,
): FastHeaders | null {
  if (repeatsAuthOrType(rawHeaders)) return null;
  const auth = headers.authorization;
  if (auth === undefined || !auth.startsWith(BEARER_AGENT_KEY)) return null;
  const apiKey = auth.slice(7);
  if (apiKey.length > 200 || /\s/.test(apiKey)) return null;
  if (!fastContentType(headers['content-type'])) return null;
  if (headers['transfer-encoding'] !== undefined || headers.expect !== undefined) return null;
  const declared = headers['content-length'];
  if (declared === undefined || !/^[0-9]{1,9}$/.test(declared)) return null;
  const length = Number(declared);
  if (length === 0 || length > limit) return null;
  const requestId = headers['x-request-id'];
  if (requestId !== undefined && (typeof requestId !== 'string' || !SAFE_REQUEST_ID.test(requestId))) {
    return null;
  }
  const idempotencyKey = headers['idempotency-key'];
  if (idempotencyKey !== undefined && typeof idempotencyKey !== 'string') return null;
  return { apiKey, length, requestId, idempotencyKey };
}

/**
 * node:http keeps the first of two Authorization or Content-Type headers, the app's Headers
 * joins them ("a, b") and refuses the result: such a request is left to the app.
 */
function repeatsAuthOrType(raw: readonly string[]): boolean {
  let auth = 0;
  let type = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization') auth++;
    else if (name.length === 12 && name.toLowerCase() === 'content-type') type++;
  }
  return auth > 1 || type > 1;
}
