import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.ts';
import { AgentOtpError } from '../errors.ts';
import type { PermissionRequestInput } from './request-input.ts';

/**
 * Idempotency keys of `POST /permissions/request`: a client that repeats a request (a retry
 * after a lost answer, or parallel tool calls of one step) names it with a key, and every
 * repeat within the key's lifetime answers with the permission the first one created.
 */

/** How long a key names its permission; after that the key is free and creates a new one. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** 1..255 visible ASCII characters: enough for a UUID, a ULID or a caller's own composite key. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Refuses a malformed key with a 400 naming the header, before anything is evaluated. */
export function checkIdempotencyKey(key: string): string {
  if (!KEY_PATTERN.test(key)) {
    throw new AgentOtpError(
      'VALIDATION_ERROR',
      'Idempotency-Key: must be 1 to 255 visible ASCII characters (no spaces)',
      { field: 'Idempotency-Key' },
    );
  }
  return key;
}

/**
 * The sha256 of the request as the server understands it, in canonical JSON: key order and an
 * absent-versus-empty scope or context do not count as a different request, any other
 * difference in action, resource, scope, context or ttl does.
 */
export function requestFingerprint(input: PermissionRequestInput): string {
  const canonical = canonicalJson({
    action: input.action,
    resource: input.resource ?? null,
    scope: input.scope ?? {},
    context: input.context ?? {},
    ttl: input.ttl ?? null,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** The same key came with a different request: the caller reused a key by mistake. */
export function keyReusedError(key: string): AgentOtpError {
  return new AgentOtpError(
    'IDEMPOTENCY_KEY_REUSED',
    'this Idempotency-Key was already used with a different request body; use a new key for a new request',
    { field: 'Idempotency-Key', key },
  );
}
