import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildRuleFinder } from '../src/policy/action-index.ts';
import { type ActionSet, actionKey } from '../src/policy/action-key.ts';
import { compileConditions } from '../src/policy/conditions.ts';
import { fieldKey, KEY_FIELDS } from '../src/policy/field-key.ts';
import type { PolicyInput } from '../src/policy/types.ts';
import type { PolicyDecision } from '../src/types.ts';

/**
 * The action index against the plain linear evaluation (every rule tried in order), on random
 * rule sets whose action tests sit anywhere in any/all/not. FAST_CHECK_RUNS=10000 npm test --
 * policy-index runs a larger search; a failure prints the counterexample and its replay values.
 */
const RUNS = Number(process.env.FAST_CHECK_RUNS) || 200;

// Few actions and prefixes that overlap, so that rules and requests often meet.
const ACTIONS = ['a', 'a.b', 'a.bc', 'ab', 'b.x', 'bank.t', 'bank.tx', ''];
const PREFIXES = ['a', 'a.', 'a.b', 'ab', 'b', 'bank.', 'bank.t', 'z', ''];
const PATTERNS = ['^a\\.', '^a\\.b?', '^ban+k', '^bank\\.t(x|y)$', '^a|b', '^(?i)A', 'a\\.b', '^b.x', '^'];
const someActions = fc.array(fc.oneof(fc.constantFrom(...ACTIONS), fc.integer({ min: 0, max: 2 })), {
  minLength: 1,
  maxLength: 3,
});

const actionTest = fc.oneof(
  fc.record({ equals: fc.oneof(fc.constantFrom(...ACTIONS), fc.constant(1)) }),
  fc.record({ notEquals: fc.oneof(fc.constantFrom(...ACTIONS), fc.constant(1)) }),
  fc.record({ in: someActions }),
  fc.record({ notIn: someActions }),
  fc.record({ startsWith: fc.constantFrom(...PREFIXES) }),
  fc.record({ endsWith: fc.constantFrom('x', '.b') }),
  fc.record({ matches: fc.constantFrom(...PATTERNS) }),
  fc.record({ exists: fc.boolean() }),
);
/** One or two tests on the action (both must hold). */
const actionTests = fc
  .tuple(actionTest, fc.option(actionTest, { nil: undefined }))
  .map(([a, b]) => ({ ...a, ...(b ?? {}) }));

// Other fields, some with values of the wrong type, so that rules can be UNKNOWN.
// The other top-level strings take the same tests over the same values, so that rules the
// action cannot pin are keyed by them (field-key.ts).
const otherField = fc.oneof(
  fc.tuple(fc.constant('agent'), fc.constantFrom({ equals: 'x' }, { notEquals: 'x' })),
  fc.tuple(fc.constantFrom('agent', 'agentId', 'resource'), actionTests),
  fc.tuple(fc.constant('scope.n'), fc.constantFrom({ lessThan: 3 }, { greaterThan: 1 }, { exists: true })),
);
const field = fc.oneof(
  { arbitrary: fc.tuple(fc.constant('action'), actionTests), weight: 3 },
  { arbitrary: otherField, weight: 2 },
);

type ConditionMap = Record<string, unknown>;
const { conditions } = fc.letrec<{ conditions: ConditionMap }>((tie) => ({
  conditions: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.array(field, { maxLength: 2 }).map((entries) => Object.fromEntries(entries)),
    fc.array(tie('conditions'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
    fc.array(tie('conditions'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
    tie('conditions').map((not) => ({ not })),
    fc.tuple(field, tie('conditions')).map(([[path, ops], child]) => ({ [path]: ops, not: child })),
  ),
}));

const DECISIONS: PolicyDecision[] = ['auto_approve', 'require_approval', 'deny'];
const rules = fc.array(fc.record({ conditions, decision: fc.constantFrom(...DECISIONS) }), {
  minLength: 1,
  maxLength: 12,
});

const request = fc
  .record({
    action: fc.oneof(
      { arbitrary: fc.constantFrom(...ACTIONS), weight: 8 },
      { arbitrary: fc.constantFrom('bank.ty', 'a.bcd', 'zz'), weight: 2 },
      { arbitrary: fc.constantFrom(null, 5, undefined), weight: 1 },
    ),
    agent: fc.oneof(
      { arbitrary: fc.constantFrom('x', 'y', ...ACTIONS), weight: 8 },
      { arbitrary: fc.constantFrom(null, 5), weight: 1 },
    ),
    agentId: fc.constantFrom('agt_1', ...ACTIONS),
    resource: fc.oneof(
      { arbitrary: fc.constantFrom(...ACTIONS, 'a.bcd'), weight: 6 },
      { arbitrary: fc.constantFrom(null, 5), weight: 2 },
    ),
    n: fc.option(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant('2')), { nil: undefined }),
  })
  .map(
    ({ action, agent, agentId, resource, n }) =>
      ({
        action,
        resource,
        scope: n === undefined ? {} : { n },
        context: {},
        agent,
        agentId,
      }) as unknown as PolicyInput,
  );

/** Whether a string action can match a rule keyed by `key`, by the key's own definition. */
const admits = (key: ActionSet, action: string) =>
  key.exact.has(action) || key.prefixes.some((p) => action.startsWith(p));

describe('the action index (fast-check)', () => {
  it('decides as the linear evaluation does, whatever nests the action tests', () => {
    fc.assert(
      fc.property(rules, fc.array(request, { minLength: 1, maxLength: 6 }), (list, inputs) => {
        const compiled = list.map((r) => compileConditions(r.conditions, ''));
        const decisions = list.map((r) => r.decision);
        const keys = list.map((r) => actionKey(r.conditions));
        const linear = buildRuleFinder(
          keys.map(() => null),
          compiled,
          decisions,
        );
        const indexed = buildRuleFinder(keys, compiled, decisions);
        const mergedAtDecision = buildRuleFinder(keys, compiled, decisions, 0);
        // As the engine builds it: rules without an action key indexed by their other fields.
        const others = list.map((r, i) => (keys[i] === null ? fieldKey(r.conditions) : null));
        const byFields = buildRuleFinder(keys, compiled, decisions, undefined, others);
        const byFieldsAtDecision = buildRuleFinder(keys, compiled, decisions, 0, others);
        // Every rule by its other fields only, the action index unused.
        const fieldsOnly = buildRuleFinder(
          keys.map(() => null),
          compiled,
          decisions,
          undefined,
          list.map((r) => fieldKey(r.conditions)),
        );
        for (const input of inputs) {
          const expected = linear(input);
          assert.equal(indexed(input), expected);
          assert.equal(mergedAtDecision(input), expected);
          assert.equal(byFields(input), expected);
          assert.equal(byFieldsAtDecision(input), expected);
          assert.equal(fieldsOnly(input), expected);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('keys a rule only by actions outside which its conditions are FALSE', () => {
    // The property the index relies on, checked rule by rule: an action the key excludes makes
    // the rule FALSE, never UNKNOWN nor TRUE.
    fc.assert(
      fc.property(conditions, request, (map, input) => {
        const key = actionKey(map);
        fc.pre(key !== null && typeof input.action === 'string' && !admits(key, input.action));
        assert.equal(compileConditions(map, '').test(input), 0);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('keys a rule by other fields only where, all of them outside, its conditions are FALSE', () => {
    fc.assert(
      fc.property(conditions, request, (map, input) => {
        const key = fieldKey(map);
        fc.pre(key !== null);
        const outside = KEY_FIELDS.every((field) => {
          const set = key[field];
          const value = input[field];
          return set === undefined || (typeof value === 'string' && !admits(set, value));
        });
        fc.pre(outside);
        assert.equal(compileConditions(map, '').test(input), 0);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('keeps normalised keys: one action meets at most one entry of a rule', () => {
    fc.assert(
      fc.property(conditions, fc.constantFrom(...ACTIONS, 'bank.ty', 'a.bcd'), (map, action) => {
        const key = actionKey(map);
        if (key === null) return;
        const hits = [...key.exact].filter((a) => a === action).length;
        assert.ok(hits + key.prefixes.filter((p) => action.startsWith(p)).length <= 1);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});
