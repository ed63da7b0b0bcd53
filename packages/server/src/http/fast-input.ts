import type { JsonObject } from '@agent-otp/core';

/**
 * Hand-written checks of the three hot agent routes' input (request, verify, use), run before
 * the zod schemas of routes/schemas.ts. Each answers the value the schema would produce, or
 * undefined for "not sure": then the schema runs as before and gives the answer, errors
 * included. So a fast check only ever accepts what the schema accepts, with the same value
 * (test/permissions-fast-input.property.test.ts checks this against the schemas), and every refusal and
 * its message still comes from the schema: the error contract cannot drift.
 */

const ACTION = /^[A-Za-z0-9_.:-]+$/;
const PERMISSION_ID = /^perm_[A-Za-z0-9_-]{10,64}$/;
/** The one content type taken on the fast path; any other goes through the schema's own checks. */
const PLAIN_JSON = /^application\/json(?:;\s*charset=utf-8)?$/i;

const has = (body: object, key: string) => Object.hasOwn(body, key);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON object as `z.record(z.string(), z.unknown())` reads it: a shallow copy. */
function record(value: unknown): JsonObject | undefined {
  if (!isPlainObject(value)) return undefined;
  // A key that would set the copy's prototype is left to the schema.
  if (has(value, '__proto__')) return undefined;
  return { ...value } as JsonObject;
}

function onlyKeys(body: object, allowed: ReadonlySet<string>): boolean {
  for (const key in body) if (!allowed.has(key)) return false;
  return Object.getPrototypeOf(body) === Object.prototype;
}

const text = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= max;

export const fastContentType = (type: string | undefined) => type !== undefined && PLAIN_JSON.test(type);

export const fastPermissionId = (id: string | undefined) =>
  id !== undefined && PERMISSION_ID.test(id) ? { id } : undefined;

const REQUEST_KEYS = new Set(['action', 'resource', 'scope', 'context', 'ttl']);

/** RequestBody's value, or undefined to let the schema decide. */
export function fastRequestBody(body: unknown) {
  if (!isPlainObject(body) || !onlyKeys(body, REQUEST_KEYS)) return undefined;
  const { action, resource, scope, context, ttl } = body;
  if (!text(action, 200) || !ACTION.test(action)) return undefined;
  const out: {
    action: string;
    resource?: string | null;
    scope?: JsonObject;
    context?: JsonObject;
    ttl?: number;
  } = { action };
  if (has(body, 'resource')) {
    if (resource !== null && !text(resource, 1000)) return undefined;
    out.resource = resource;
  }
  for (const [key, value] of [
    ['scope', scope],
    ['context', context],
  ] as const) {
    if (!has(body, key)) continue;
    const copy = record(value);
    if (!copy) return undefined;
    out[key] = copy;
  }
  if (has(body, 'ttl')) {
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 30 || ttl > 3600) return undefined;
    out.ttl = ttl;
  }
  return out;
}

const TOKEN_KEYS = new Set(['token']);

/** TokenBody's value, or undefined to let the schema decide. */
export function fastTokenBody(body: unknown) {
  if (!isPlainObject(body) || !onlyKeys(body, TOKEN_KEYS) || !text(body.token, 200)) return undefined;
  return { token: body.token };
}

const USE_KEYS = new Set(['token', 'actionDetails']);

/** UseBody's value, or undefined to let the schema decide. */
export function fastUseBody(body: unknown) {
  if (!isPlainObject(body) || !onlyKeys(body, USE_KEYS) || !text(body.token, 200)) return undefined;
  if (!has(body, 'actionDetails')) return { token: body.token };
  const actionDetails = record(body.actionDetails);
  return actionDetails ? { token: body.token, actionDetails } : undefined;
}
