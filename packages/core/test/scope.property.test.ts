import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkScopeAtUse } from '../src/scope/check.ts';
import { COUNT_KEYS } from '../src/scope/convention.ts';
import { narrowGrantedScope, narrowScope, usesAllowed } from '../src/scope/narrow.ts';
import { type ScopeOrigin, validateScope } from '../src/scope/validate.ts';
import type { JsonObject, Scope } from '../src/types.ts';

/**
 * Property-based tests of the scope algebra (fast-check). FAST_CHECK_RUNS=10000 for a larger
 * search. (Every assertion carries a message: without one, node's assert re-reads and parses the
 * source file at each failure, which makes shrinking a counterexample take minutes.)
 * Definitions used below, for scopes S and action details D:
 *
 * - accepts(S, D): checkScopeAtUse(S, D).ok — every constraint either holds or is unchecked
 *   because its detail is absent from D (the default, non-strict enforcement);
 * - unchecked(S, D): the keys it reports as unchecked when it accepts;
 * - uses(S): usesAllowed(S), null (unlimited) read as +∞; bound(S): uses(S) when S has a count
 *   constraint, +∞ when it has none — narrowing keeps a count present on one side only, so a
 *   side without counts does not bound the result (the grant's own default of one use is made
 *   explicit by narrowGrantedScope before an approver's edit applies).
 */
const RUNS = Number(process.env.FAST_CHECK_RUNS) || 200;

const PATTERNS = ['^a', 'b$', '^[ab]*$', 'a|c', '^$', 'ab'];
const EXTENSIONS = ['.txt', '.MD', 'json', '.csv'];
const RECIPIENTS = ['a@x', 'b@x', 'c@y', 7];
const ACCOUNTS = ['savings', 'checking'];

const subset = <T>(items: readonly T[]) => fc.subarray([...items]);
const patterns = fc.oneof(
  fc.constantFrom(...PATTERNS),
  fc.subarray(PATTERNS, { minLength: 1, maxLength: 3 }),
);
const count = fc.integer({ min: 1, max: 5 });
const bound = fc.integer({ min: 0, max: 100 });

/** The constraint kinds of the convention, with values a validated scope may hold. */
const CONSTRAINTS: Record<string, fc.Arbitrary<unknown>> = {
  max_uses: fc.oneof(count, fc.constant('unlimited')),
  max_emails: count,
  max_calls: count,
  max_size: bound,
  size_limit: bound,
  max_amount: bound,
  min_amount: bound,
  subject_pattern: patterns,
  path_pattern: patterns,
  allowed_extensions: subset(EXTENSIONS),
  allowed_recipients: subset(RECIPIENTS),
  allowed_accounts: subset(ACCOUNTS),
  note: fc.constantFrom('x', 'y'),
};

/** A scope valid for its origin: the service validates every scope before it narrows one. */
const scopeFor = (origin: ScopeOrigin) =>
  fc
    .record(CONSTRAINTS, { requiredKeys: [] })
    .filter((scope) => validateScope(scope, origin).ok)
    .map((scope) => scope as Scope);

const DETAILS: Record<string, fc.Arbitrary<unknown>> = {
  size: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constant('5')),
  amount: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constant([5])),
  subject: fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 4 }), fc.constant(3)),
  path: fc.constantFrom('x.txt', 'y.md', 'z.JSON', 'noext', 'dir.v/a.csv', 'a.exe'),
  extension: fc.constantFrom('txt', '.md', 'CSV', 'exe'),
  recipient: fc.constantFrom(...RECIPIENTS, 'd@z'),
  recipients: fc.array(fc.constantFrom(...RECIPIENTS, 'd@z'), { maxLength: 3 }),
  account: fc.constantFrom(...ACCOUNTS, 'other'),
};
const details = fc.record(DETAILS, { requiredKeys: [] }) as fc.Arbitrary<JsonObject>;
/** At most one detail, so that scopes often accept it and report what they did not check. */
const oneDetail = fc
  .option(fc.constantFrom(...Object.keys(DETAILS)), { nil: undefined })
  .chain((key) =>
    key === undefined
      ? fc.constant({})
      : (DETAILS[key] as fc.Arbitrary<unknown>).map((value) => ({ [key]: value }) as JsonObject),
  );

const accepts = (scope: Scope, d: JsonObject) => checkScopeAtUse(scope, d).ok;
const unchecked = (scope: Scope, d: JsonObject) => {
  const result = checkScopeAtUse(scope, d);
  return result.ok ? result.unchecked : null;
};
const uses = (scope: Scope) => usesAllowed(scope) ?? Number.POSITIVE_INFINITY;
const hasCount = (scope: Scope) => COUNT_KEYS.some((key) => Object.hasOwn(scope, key));
const boundOf = (scope: Scope) => (hasCount(scope) ? uses(scope) : Number.POSITIVE_INFINITY);

describe('scope algebra properties (fast-check)', () => {
  it('narrowing is exactly the intersection: the narrowed scope accepts what both sides accept', () => {
    // ⇒ is "narrowing never widens"; ⇐ says it refuses nothing both sides would allow.
    fc.assert(
      fc.property(scopeFor('request'), scopeFor('template'), details, (a, b, d) => {
        const narrowed = narrowScope(a, b);
        assert.equal(accepts(narrowed, d), accepts(a, d) && accepts(b, d));
      }),
      { numRuns: RUNS },
    );
  });

  it('narrowing never widens even a malformed scope: a bad value is kept, and fails closed', () => {
    const anything = fc.oneof(
      fc.constantFrom(-1, 0, 1.5, 'x', '', true, null, '(', [], ['('], [1, 'a'], { a: 1 }),
      ...Object.values(CONSTRAINTS),
    );
    const malformed = fc
      .dictionary(fc.constantFrom(...Object.keys(CONSTRAINTS)), anything, { maxKeys: 4 })
      .map((scope) => scope as Scope);
    fc.assert(
      fc.property(malformed, malformed, details, (a, b, d) => {
        if (accepts(narrowScope(a, b), d)) assert.ok(accepts(a, d) && accepts(b, d), 'widened');
        assert.ok(uses(narrowScope(a, b)) <= Math.min(boundOf(a), boundOf(b)), 'more uses');
      }),
      // Found by this property: "unlimited" on a count other than max_uses (one use, malformed)
      // let the other side's larger count through.
      { numRuns: RUNS, examples: [[{ max_calls: 2 }, { max_calls: 'unlimited' }, {}]] },
    );
  });

  it('narrowing neither hides nor adds an unchecked constraint', () => {
    fc.assert(
      fc.property(scopeFor('request'), scopeFor('template'), oneDetail, (a, b, d) => {
        const narrowed = unchecked(narrowScope(a, b), d);
        fc.pre(narrowed !== null);
        const expected = new Set([...(unchecked(a, d) ?? []), ...(unchecked(b, d) ?? [])]);
        assert.deepEqual(new Set(narrowed), expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('narrowing never allows more uses than a side that bounds them; none bound means one', () => {
    fc.assert(
      fc.property(scopeFor('request'), scopeFor('template'), (a, b) => {
        const narrowed = narrowScope(a, b);
        assert.ok(uses(narrowed) <= Math.min(boundOf(a), boundOf(b)), 'more uses');
        if (!hasCount(a) && !hasCount(b)) assert.equal(usesAllowed(narrowed), 1);
      }),
      { numRuns: RUNS },
    );
  });

  it("an approver's edit never widens a grant: accepted details and uses only shrink", () => {
    fc.assert(
      fc.property(scopeFor('template'), scopeFor('approver'), details, (granted, edit, d) => {
        const narrowed = narrowGrantedScope(granted, edit);
        assert.ok(uses(narrowed) <= Math.min(uses(granted), boundOf(edit)), 'more uses');
        if (accepts(narrowed, d)) assert.ok(accepts(granted, d) && accepts(edit, d), 'widened');
      }),
      { numRuns: RUNS },
    );
  });

  it('enforcement is monotone: adding a constraint never turns a refusal into an acceptance', () => {
    const extra = fc
      .constantFrom(...Object.keys(CONSTRAINTS))
      .chain((key) => (CONSTRAINTS[key] as fc.Arbitrary<unknown>).map((value) => [key, value] as const));
    fc.assert(
      fc.property(scopeFor('template'), extra, details, (scope, [key, value], d) => {
        fc.pre(!Object.hasOwn(scope, key));
        const stricter = { ...scope, [key]: value } as Scope;
        if (!accepts(scope, d)) assert.equal(accepts(stricter, d), false);
        if (accepts(stricter, d)) assert.ok(accepts(scope, d), 'a constraint widened');
      }),
      { numRuns: RUNS },
    );
  });

  it('narrowing is idempotent and, for what it accepts, commutative', () => {
    fc.assert(
      fc.property(scopeFor('template'), scopeFor('template'), details, (a, b, d) => {
        assert.equal(accepts(narrowScope(a, a), d), accepts(a, d));
        assert.equal(accepts(narrowScope(a, b), d), accepts(narrowScope(b, a), d));
        assert.equal(uses(narrowScope(a, b)), uses(narrowScope(b, a)));
      }),
      { numRuns: RUNS },
    );
  });
});
