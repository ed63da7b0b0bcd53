import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from '@hono/zod-openapi';
import fc from 'fast-check';
import {
  fastContentType,
  fastPermissionId,
  fastRequestBody,
  fastTokenBody,
  fastUseBody,
} from '../src/http/fast-input.ts';
import { IdParams, RequestBody, TokenBody, UseBody } from '../src/routes/schemas.ts';

/**
 * The hot routes' hand-written input checks against the zod schemas they stand in for
 * (fast-check; FAST_CHECK_RUNS=10000 for a larger search). What must hold, for any input x:
 *
 * - sound: when the fast check gives a value, the schema accepts x and gives the same value
 *   (a fast refusal only means "ask the schema", whose answer and errors are then used);
 * - complete: when the schema accepts x, so does the fast check — except x holding a
 *   `__proto__` key in a free-form object, which is left to the schema by design.
 *
 * Inputs go through JSON.stringify / JSON.parse first, as a request body would.
 */
const RUNS = Number(process.env.FAST_CHECK_RUNS) || 500;

const wire = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

const hasProtoKey = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  Object.values(value).some((v) => typeof v === 'object' && v !== null && Object.hasOwn(v, '__proto__'));

function agrees(name: string, fast: (x: unknown) => unknown, schema: z.ZodType, x: unknown) {
  const parsed = schema.safeParse(x);
  const quick = fast(x);
  if (quick !== undefined) {
    assert.ok(parsed.success, `${name}: fast check accepted what the schema refuses: ${JSON.stringify(x)}`);
    assert.deepStrictEqual(quick, parsed.data, `${name}: a different value for ${JSON.stringify(x)}`);
  } else if (parsed.success) {
    assert.ok(hasProtoKey(x), `${name}: the schema accepts what the fast check leaves: ${JSON.stringify(x)}`);
  }
  return quick !== undefined;
}

/** `{ [key]: value }` or, one time in `1 + absent`, `{}`. */
const maybe = <T>(key: string, arb: fc.Arbitrary<T>, absent = 1) =>
  fc.oneof(
    { arbitrary: arb.map((v): Record<string, unknown> => ({ [key]: v })), weight: 2 },
    { arbitrary: fc.constant({} as Record<string, unknown>), weight: absent },
  );
/** Mostly the well-formed values, sometimes anything. */
const mostly = <T>(good: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: other, weight: 1 });

// Values near every boundary the schemas draw, and anything else JSON can carry.
const anyJson = fc.jsonValue({ maxDepth: 2 });
const shortText = (max: number) =>
  fc.oneof(
    fc.string({ minLength: 0, maxLength: 3 }),
    fc.string({ minLength: max - 1, maxLength: max + 1 }),
    fc.string({ unit: 'grapheme', maxLength: 5 }),
  );
const action = mostly(
  fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/), fc.stringMatching(/^[A-Za-z0-9_.:-]{199,201}$/)),
  fc.oneof(shortText(200), anyJson),
);
const freeObject = mostly(
  fc.dictionary(fc.string({ maxLength: 6 }), anyJson, { maxKeys: 4 }),
  fc.oneof(fc.constant(JSON.parse('{"__proto__": 1}')), anyJson),
);
const ttl = mostly(fc.integer({ min: 25, max: 3605 }), fc.oneof(fc.double({ min: 29, max: 31 }), anyJson));
const extraKey = fc.constantFrom('extra', 'Action', 'token ', 'actiondetails');

const requestBody = fc
  .tuple(
    maybe('action', action, 0),
    maybe('resource', mostly(fc.oneof(fc.constant(null), shortText(1000)), anyJson)),
    maybe('scope', freeObject),
    maybe('context', freeObject),
    maybe('ttl', ttl),
    maybe('x', fc.tuple(extraKey, anyJson), 6),
  )
  .map(([a, r, s, c, t, x]) => {
    const body: Record<string, unknown> = { ...a, ...r, ...s, ...c, ...t };
    if ('x' in x) body[(x.x as [string, unknown])[0]] = (x.x as [string, unknown])[1];
    return body;
  });
const token = mostly(fc.stringMatching(/^otp_[A-Za-z0-9_-]{20,40}$/), fc.oneof(shortText(200), anyJson));
const tokenBody = fc
  .tuple(maybe('token', token, 0), maybe('x', fc.tuple(extraKey, anyJson), 6))
  .map(([t, x]) => ('x' in x ? { ...t, [(x.x as [string])[0]]: 1 } : t));
const useBody = fc
  .tuple(maybe('token', token, 0), maybe('actionDetails', freeObject), maybe('extra', anyJson, 6))
  .map(([t, a, e]) => ({ ...t, ...a, ...e }));

describe('fast input checks of the hot agent routes agree with the zod schemas', () => {
  it('request body: sound and complete', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(requestBody, anyJson), (x) => {
        if (agrees('request', fastRequestBody, RequestBody, wire(x))) accepted += 1;
      }),
      { numRuns: RUNS },
    );
    assert.ok(accepted > RUNS / 20, `the fast path should take valid requests (${accepted} of ${RUNS})`);
  });

  it('verify body: sound and complete', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(tokenBody, anyJson), (x) => {
        if (agrees('verify', fastTokenBody, TokenBody, wire(x))) accepted += 1;
      }),
      { numRuns: RUNS },
    );
    assert.ok(accepted > RUNS / 20, `the fast path should take valid verifies (${accepted} of ${RUNS})`);
  });

  it('use body: sound and complete', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(useBody, anyJson), (x) => {
        if (agrees('use', fastUseBody, UseBody, wire(x))) accepted += 1;
      }),
      { numRuns: RUNS },
    );
    assert.ok(accepted > RUNS / 20, `the fast path should take valid uses (${accepted} of ${RUNS})`);
  });

  it('permission id in the path: sound and complete', () => {
    const id = fc.oneof(
      fc.stringMatching(/^perm_[A-Za-z0-9_-]{8,66}$/),
      fc.string({ maxLength: 20 }),
      fc.stringMatching(/^perm_.{10,20}$/),
    );
    fc.assert(
      fc.property(id, (x) => {
        agrees('id', (v) => fastPermissionId((v as { id: string }).id), IdParams, { id: x });
      }),
      { numRuns: RUNS },
    );
  });

  it('takes only plain application/json, leaving other JSON types to the validators', () => {
    assert.equal(fastContentType('application/json'), true);
    assert.equal(fastContentType('Application/JSON; charset=UTF-8'), true);
    assert.equal(fastContentType('application/vnd.api+json'), false);
    assert.equal(fastContentType('application/json; charset=latin1'), false);
    assert.equal(fastContentType('text/plain'), false);
    assert.equal(fastContentType(undefined), false);
  });
});
