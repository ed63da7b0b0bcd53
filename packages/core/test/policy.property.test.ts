import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadPolicy } from '../src/policy/load.ts';
import type { Policy, PolicyInput } from '../src/policy/types.ts';
import type { PolicyDecision } from '../src/types.ts';

/**
 * Property-based tests of the policy engine (fast-check). Runs stay small for `npm test`;
 * FAST_CHECK_RUNS=10000 npm test -- property runs a larger search. A failure prints the
 * counterexample and the replay value (`seed`, `path`) to run it again.
 */
const RUNS = Number(process.env.FAST_CHECK_RUNS) || 100;

// ---------------------------------------------------------------------------------------------
// Generators: small vocabularies, so that rules and requests often meet.

const ACTIONS = ['a', 'a.b', 'bank.t', 'bank.x', 'c'];
const STRINGS = ['', 'a', 'b', 'ab', 'ba', 'a.b', '5'];
const scalar = fc.oneof(fc.constantFrom(...STRINGS), fc.integer({ min: -1, max: 6 }), fc.boolean());

/** A value an agent could send: mostly comparable, often of the wrong type. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.record({ v: scalar }),
  fc.constant(null),
);

const operator = fc.oneof(
  fc.record({ equals: scalar }),
  fc.record({ notEquals: scalar }),
  fc.record({ startsWith: fc.constantFrom(...STRINGS) }),
  fc.record({ endsWith: fc.constantFrom(...STRINGS) }),
  fc.record({ contains: scalar }),
  fc.record({ matches: fc.constantFrom('^a', 'b$', '^a.*b$', 'a', '^[0-9]+$') }),
  fc.record({ in: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ notIn: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ lessThan: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ lessThanOrEqual: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ greaterThan: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ greaterThanOrEqual: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ exists: fc.boolean() }),
);

/** One or two operators on a field (all must hold). */
const operators = fc
  .tuple(operator, fc.option(operator, { nil: undefined }))
  .map(([a, b]) => ({ ...a, ...(b ?? {}) }));

const CONTEXT_FIELDS = ['amount', 'to', 'tags'];
const field = fc.oneof(
  // Mostly agent-supplied context, where mistyped values come from.
  {
    arbitrary: fc.tuple(fc.constantFrom(...CONTEXT_FIELDS.map((f) => `context.${f}`)), operators),
    weight: 3,
  },
  fc.tuple(fc.constant('action'), fc.oneof(fc.record({ equals: fc.constantFrom(...ACTIONS) }), operators)),
  fc.tuple(fc.constant('action'), fc.record({ startsWith: fc.constantFrom('a', 'bank.', 'c') })),
  fc.tuple(fc.constant('agent'), operators),
  fc.tuple(fc.constant('scope.n'), operators),
);

type ConditionMap = Record<string, unknown>;
const { conditions } = fc.letrec<{ conditions: ConditionMap }>((tie) => ({
  conditions: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.array(field, { maxLength: 2 }).map((entries) => Object.fromEntries(entries)),
    fc.array(tie('conditions'), { minLength: 1, maxLength: 2 }).map((any) => ({ any })),
    fc.array(tie('conditions'), { minLength: 1, maxLength: 2 }).map((all) => ({ all })),
    tie('conditions').map((not) => ({ not })),
    fc.tuple(field, tie('conditions')).map(([[path, ops], child]) => ({ [path]: ops, all: [child] })),
  ),
}));

const DECISIONS: PolicyDecision[] = ['auto_approve', 'require_approval', 'deny'];
interface RawRule {
  name: string;
  conditions: ConditionMap;
  action: PolicyDecision;
  priority: number;
}
const ruleList = (maxLength: number) =>
  fc
    .array(
      fc.record({
        conditions,
        action: fc.constantFrom(...DECISIONS),
        priority: fc.integer({ min: 0, max: 2 }),
      }),
      { minLength: 1, maxLength },
    )
    .map((list): RawRule[] => list.map((r, i) => ({ name: `r${i}`, ...r })));
const rules = ruleList(8);

const requestOf = (values: fc.Arbitrary<unknown>) =>
  fc
    .record({
      action: fc.constantFrom(...ACTIONS),
      agent: fc.constantFrom('x', 'y', 'ab'),
      n: fc.option(values, { nil: undefined }),
      amount: fc.option(values, { nil: undefined }),
      to: fc.option(values, { nil: undefined }),
      tags: fc.option(values, { nil: undefined }),
    })
    .map(
      ({ action, agent, n, amount, to, tags }): PolicyInput => ({
        action,
        resource: null,
        scope: n === undefined ? {} : { n: n as never },
        context: Object.fromEntries(
          Object.entries({ amount, to, tags }).filter(([, v]) => v !== undefined),
        ) as PolicyInput['context'],
        agent,
        agentId: 'agt_1',
      }),
    );
const request = requestOf(value);

const load = (list: RawRule[]): Policy => loadPolicy(JSON.stringify(list), 'generated.yaml');
const STRICTNESS: Record<PolicyDecision, number> = { auto_approve: 0, require_approval: 1, deny: 2 };

// ---------------------------------------------------------------------------------------------
// A reference model of SPEC §4 in three-valued logic, written independently of the engine:
// plain recursion over the raw condition maps, no compilation, no index, values 'T' 'F' 'U'.

type K = 'T' | 'F' | 'U';
const and = (items: K[]): K => (items.includes('F') ? 'F' : items.includes('U') ? 'U' : 'T');
const or = (items: K[]): K => (items.includes('T') ? 'T' : items.includes('U') ? 'U' : 'F');
const not = (k: K): K => (k === 'T' ? 'F' : k === 'F' ? 'T' : 'U');
const bool = (b: boolean): K => (b ? 'T' : 'F');

function read(input: PolicyInput, path: string): unknown {
  const [root, ...rest] = path.split('.');
  let current: unknown = (input as unknown as Record<string, unknown>)[root as string];
  for (const key of rest) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    if (Array.isArray(current) && key === 'length') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current === null ? undefined : current;
}

function modelOperator(name: string, operand: unknown, actual: unknown): K {
  if (actual === undefined)
    return bool(name === 'notEquals' || name === 'notIn' || (name === 'exists' && !operand));
  const sameType = (o: unknown) => typeof actual === typeof o;
  switch (name) {
    case 'exists':
      return bool(operand === true);
    case 'equals':
    case 'notEquals': {
      const k = actual === operand ? 'T' : sameType(operand) ? 'F' : 'U';
      return name === 'equals' ? k : not(k);
    }
    case 'in':
    case 'notIn': {
      const list = operand as unknown[];
      const k = list.includes(actual) ? 'T' : list.some(sameType) ? 'F' : 'U';
      return name === 'in' ? k : not(k);
    }
    case 'startsWith':
      return typeof actual === 'string' ? bool(actual.startsWith(operand as string)) : 'U';
    case 'endsWith':
      return typeof actual === 'string' ? bool(actual.endsWith(operand as string)) : 'U';
    case 'matches':
      return typeof actual === 'string' ? bool(new RegExp(operand as string).test(actual)) : 'U';
    case 'contains':
      if (typeof actual === 'string' && typeof operand === 'string') return bool(actual.includes(operand));
      if (!Array.isArray(actual)) return 'U';
      if (actual.includes(operand)) return 'T';
      // A list that cannot be judged: elements of another type, or a string holding the operand.
      return actual.some(
        (e) => !sameTypeAs(e, operand) || (typeof e === 'string' && e.includes(String(operand))),
      )
        ? 'U'
        : 'F';
    case 'lessThan':
      return typeof actual === 'number' ? bool(actual < (operand as number)) : 'U';
    case 'lessThanOrEqual':
      return typeof actual === 'number' ? bool(actual <= (operand as number)) : 'U';
    case 'greaterThan':
      return typeof actual === 'number' ? bool(actual > (operand as number)) : 'U';
    case 'greaterThanOrEqual':
      return typeof actual === 'number' ? bool(actual >= (operand as number)) : 'U';
    default:
      throw new Error(`the model has no operator ${name}`);
  }
}
const sameTypeAs = (a: unknown, b: unknown) => typeof a === typeof b;

function modelConditions(map: ConditionMap, input: PolicyInput): K {
  return and(
    Object.entries(map).map(([key, v]): K => {
      if (key === 'any') return or((v as ConditionMap[]).map((c) => modelConditions(c, input)));
      if (key === 'all') return and((v as ConditionMap[]).map((c) => modelConditions(c, input)));
      if (key === 'not') return not(modelConditions(v as ConditionMap, input));
      const actual = read(input, key);
      return and(
        Object.entries(v as ConditionMap).map(([op, operand]) => modelOperator(op, operand, actual)),
      );
    }),
  );
}

/**
 * The decision procedure of docs/policies.md: in priority order, the first TRUE rule matches;
 * an UNKNOWN auto_approve rule is passed over, an UNKNOWN deny rule decides, the first UNKNOWN
 * require_approval rule is remembered and wins over a later auto_approve match or no match...
 * except that no match is the default deny, which is stricter.
 */
function modelDecide(list: RawRule[], input: PolicyInput): { decision: PolicyDecision; rule: string | null } {
  const ordered = list
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index)
    .map((r) => r.rule);
  let held: RawRule | null = null;
  for (const rule of ordered) {
    const k = modelConditions(rule.conditions, input);
    if (k === 'T') {
      const decider = held !== null && rule.action === 'auto_approve' ? held : rule;
      return { decision: decider.action, rule: decider.name };
    }
    if (k === 'U' && rule.action === 'deny') return { decision: 'deny', rule: rule.name };
    if (k === 'U' && rule.action === 'require_approval') held ??= rule;
  }
  return { decision: 'deny', rule: null };
}

// ---------------------------------------------------------------------------------------------

describe('policy engine properties (fast-check)', () => {
  it('evaluate agrees with the reference model and with explain, deterministically', () => {
    fc.assert(
      fc.property(rules, fc.array(request, { minLength: 1, maxLength: 5 }), (list, inputs) => {
        const policy = load(list);
        const again = load(list);
        for (const input of inputs) {
          const evaluated = policy.evaluate(input);
          assert.deepEqual(
            { decision: evaluated.decision, rule: evaluated.rule?.name ?? null },
            modelDecide(list, input),
          );
          const explained = policy.explain(input);
          assert.equal(explained.decision, evaluated.decision);
          assert.equal(explained.rule, evaluated.rule);
          assert.equal(explained.reason, evaluated.reason);
          // The same request again, or a copy of it, decides the same way.
          assert.deepEqual(policy.evaluate(structuredClone(input)), evaluated);
          assert.deepEqual(again.evaluate(input), evaluated);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a value no operator can compare never makes a decision more permissive (finding 6)', () => {
    // A guard on the replaced field (a deny or require_approval rule testing it) among a few
    // random rules, and a catch-all approval at the bottom: what a request slipping past every
    // rule would get. Well-typed values, so that the guard often holds before the replacement.
    const guard = fc.record({
      key: fc.constantFrom('amount', 'to', 'tags'),
      operators,
      action: fc.constantFrom<PolicyDecision>('deny', 'require_approval'),
      priority: fc.integer({ min: 0, max: 2 }),
    });
    const wellTyped = requestOf(fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })));
    fc.assert(
      fc.property(ruleList(3), guard, wellTyped, (list, g, input) => {
        fc.pre(input.context[g.key] !== undefined && input.context[g.key] !== null);
        const policy = load([
          ...list,
          {
            name: 'guard',
            conditions: { [`context.${g.key}`]: g.operators },
            action: g.action,
            priority: g.priority,
          },
          { name: 'rest', conditions: {}, action: 'auto_approve', priority: -1 },
        ]);
        const opaque = { ...input, context: { ...input.context, [g.key]: { opaque: input.context[g.key] } } };
        const before = STRICTNESS[policy.evaluate(input).decision];
        const after = STRICTNESS[policy.evaluate(opaque).decision];
        assert.ok(after >= before, `${g.key}: ${before} → ${after}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('removing a deny rule never makes a decision stricter, whatever the values (finding 6)', () => {
    fc.assert(
      fc.property(rules, request, fc.nat(), (list, input, pick) => {
        const denies = list.filter((r) => r.action === 'deny');
        fc.pre(denies.length > 0);
        const removed = denies[pick % denies.length] as RawRule;
        const with_ = STRICTNESS[load(list).evaluate(input).decision];
        const without = STRICTNESS[load(list.filter((r) => r !== removed)).evaluate(input).decision];
        assert.ok(with_ >= without, `${removed.name}: with ${with_}, without ${without}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('a rule never makes a decision more permissive than both its own and the decision without it', () => {
    fc.assert(
      fc.property(rules, request, fc.nat(), (list, input, pick) => {
        const removed = list[pick % list.length] as RawRule;
        const with_ = STRICTNESS[load(list).evaluate(input).decision];
        const without = STRICTNESS[load(list.filter((r) => r !== removed)).evaluate(input).decision];
        assert.ok(
          with_ >= Math.min(STRICTNESS[removed.action], without),
          `${removed.name}: ${with_}, ${without}`,
        );
      }),
      { numRuns: RUNS },
    );
  });
});
