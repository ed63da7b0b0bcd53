import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRuleFinder } from '../src/policy/action-index.ts';
import { actionKey, literalPrefix } from '../src/policy/action-key.ts';
import { compileConditions } from '../src/policy/conditions.ts';
import { loadPolicy } from '../src/policy/load.ts';
import type { PolicyInput } from '../src/policy/types.ts';

function input(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    action: 'file.read',
    resource: null,
    scope: {},
    context: {},
    agent: 'assistant',
    agentId: 'agt_1',
    ...overrides,
  };
}

/** A policy of one auto_approve rule with these conditions (JSON is valid YAML). */
function rule(conditions: unknown) {
  return loadPolicy(JSON.stringify([{ name: 'r', conditions, action: 'auto_approve' }]), 'test.yaml');
}

function holds(conditions: unknown, request: PolicyInput): boolean {
  const policy = rule(conditions);
  const decided = policy.evaluate(request).decision === 'auto_approve';
  // explain() must always agree with evaluate().
  assert.equal(
    policy.explain(request).decision === 'auto_approve',
    decided,
    'explain disagrees with evaluate',
  );
  return decided;
}

/** The three-valued truth of one condition map on a request, checked against explain(). */
function truthOf(conditions: unknown, request: PolicyInput): 'true' | 'false' | 'unknown' {
  const condition = compileConditions(conditions, '');
  const t = condition.test(request);
  assert.equal(condition.explain(request, []), t, 'explain disagrees with test');
  return (['false', 'unknown', 'true'] as const)[t];
}

describe('operators', () => {
  // Finding 6: a present value of a type the operator cannot compare is "unknown", never false.
  const cases: [string, unknown, unknown, boolean | 'unknown'][] = [
    // [operator, operand, actual value of context.v, expected]
    ['equals', 'a', 'a', true],
    ['equals', 'a', 'b', false],
    ['equals', 1, 1, true],
    ['equals', 1, '1', 'unknown'],
    ['equals', 'a', ['a'], 'unknown'],
    ['equals', 'a', { a: 1 }, 'unknown'],
    ['equals', true, true, true],
    ['equals', true, 'true', 'unknown'],
    ['notEquals', 'a', 'b', true],
    ['notEquals', 'a', 'a', false],
    ['notEquals', 1, '1', 'unknown'],
    ['notEquals', 'a', ['b'], 'unknown'],
    ['startsWith', 'bank.', 'bank.transfer', true],
    ['startsWith', 'bank.', 'file.bank.', false],
    ['startsWith', 'bank.', 42, 'unknown'],
    ['endsWith', '.com', 'a@x.com', true],
    ['endsWith', '.com', 'a@x.org', false],
    ['endsWith', '.com', ['.com'], 'unknown'],
    ['contains', 'ell', 'hello', true],
    ['contains', 'xyz', 'hello', false],
    ['contains', 'b', ['a', 'b'], true],
    ['contains', 'c', ['a', 'b'], false],
    ['contains', 2, [1, 2], true],
    ['contains', 2, [1, 3], false],
    ['contains', 2, '12', 'unknown'],
    ['contains', 'a', { a: 1 }, 'unknown'],
    ['contains', 'a', 5, 'unknown'],
    ['contains', 'c', ['a', 1], 'unknown'],
    ['contains', 'c', ['a', ['c']], 'unknown'],
    // A list where a string was meant: the substring is in an element, not an element.
    ['contains', 'DROP', ['x DROP y'], 'unknown'],
    ['matches', '^inv-[0-9]+$', 'inv-42', true],
    ['matches', '^inv-[0-9]+$', 'inv-42x', false],
    ['matches', 'needle', 'haystack with needle inside', true],
    ['matches', 'x', 5, 'unknown'],
    ['in', ['a', 'b'], 'b', true],
    ['in', ['a', 'b'], 'c', false],
    ['in', [1, 2], 2, true],
    ['in', [1, 2], '2', 'unknown'],
    ['in', ['a', 1], 2, false],
    ['in', ['a', 1], true, 'unknown'],
    ['in', ['a'], ['a'], 'unknown'],
    ['notIn', ['a', 'b'], 'c', true],
    ['notIn', ['a', 'b'], 'a', false],
    ['notIn', ['a', 'b'], 5, 'unknown'],
    ['lessThan', 10, 9, true],
    ['lessThan', 10, 10, false],
    ['lessThan', 10, '9', 'unknown'],
    ['lessThanOrEqual', 10, 10, true],
    ['lessThanOrEqual', 10, 11, false],
    ['greaterThan', 10, 11, true],
    ['greaterThan', 10, 10, false],
    ['greaterThan', 10, true, 'unknown'],
    ['greaterThan', 1000, '5000', 'unknown'],
    ['greaterThan', 1000, [5000], 'unknown'],
    ['greaterThan', 1000, { v: 5000 }, 'unknown'],
    ['greaterThanOrEqual', 10, 10, true],
    ['greaterThanOrEqual', 10, 9.5, false],
    ['greaterThanOrEqual', -5, -5, true],
    ['exists', true, 'anything', true],
    ['exists', true, 0, true],
    ['exists', true, { v: 1 }, true],
    ['exists', false, 'anything', false],
  ];
  for (const [op, operand, actual, expected] of cases) {
    it(`${op} ${JSON.stringify(operand)} on ${JSON.stringify(actual)} → ${expected}`, () => {
      const conditions = { 'context.v': { [op]: operand } };
      const request = input({ context: { v: actual } });
      assert.equal(truthOf(conditions, request), String(expected));
      // An auto_approve rule approves only what it can confirm.
      assert.equal(holds(conditions, request), expected === true);
    });
  }
});

describe('absent fields', () => {
  const failing: [string, unknown][] = [
    ['equals', 'a'],
    ['startsWith', 'a'],
    ['endsWith', 'a'],
    ['contains', 'a'],
    ['matches', '.*'],
    ['in', ['a']],
    ['lessThan', 1],
    ['lessThanOrEqual', 1],
    ['greaterThan', 1],
    ['greaterThanOrEqual', 1],
    ['exists', true],
  ];
  for (const [op, operand] of failing) {
    it(`${op} fails on an absent field`, () => {
      assert.equal(holds({ 'context.missing': { [op]: operand } }, input()), false);
    });
  }
  for (const [op, operand] of [
    ['notEquals', 'a'],
    ['notIn', ['a']],
    ['exists', false],
  ] as const) {
    it(`${op} holds on an absent field`, () => {
      assert.equal(holds({ 'context.missing': { [op]: operand } }, input()), true);
    });
  }

  it('treats null as absent, including a null resource', () => {
    assert.equal(holds({ 'context.v': { exists: false } }, input({ context: { v: null } })), true);
    assert.equal(holds({ resource: { exists: true } }, input({ resource: null })), false);
    assert.equal(holds({ resource: { startsWith: 'file:' } }, input({ resource: 'file:/a' })), true);
  });

  it('reaches nested fields and array elements through own properties only', () => {
    const request = input({ context: { a: { b: { c: 5 } }, list: ['x', 'y'] } });
    assert.equal(holds({ 'context.a.b.c': { equals: 5 } }, request), true);
    assert.equal(holds({ 'context.list.1': { equals: 'y' } }, request), true);
    assert.equal(holds({ 'context.list.length': { exists: true } }, request), false);
    assert.equal(holds({ 'context.a.b.c.d': { exists: true } }, request), false);
    assert.equal(holds({ 'context.constructor': { exists: true } }, request), false);
    assert.equal(holds({ 'context.__proto__': { exists: true } }, request), false);
    assert.equal(holds({ 'context.toString': { exists: true } }, request), false);
    assert.equal(holds({ 'context.a.hasOwnProperty': { exists: true } }, request), false);
    // An own "__proto__" key (as JSON.parse creates) is an ordinary field.
    const own = input({ context: JSON.parse('{"__proto__": {"x": 1}}') });
    assert.equal(holds({ 'context.__proto__.x': { equals: 1 } }, own), true);
  });

  it('never throws on odd input shapes', () => {
    const odd = { ...input(), scope: null, context: 'text' } as unknown as PolicyInput;
    assert.equal(holds({ 'scope.a': { exists: false }, 'context.b': { notEquals: 1 } }, odd), true);
    assert.equal(holds({ 'scope.a': { equals: 1 } }, odd), false);
  });
});

describe('combining conditions', () => {
  it('ANDs every operator of a field and every entry of a map', () => {
    const conditions = {
      action: { startsWith: 'file.', notEquals: 'file.delete' },
      'scope.size': { lessThan: 10 },
    };
    assert.equal(holds(conditions, input({ action: 'file.read', scope: { size: 1 } })), true);
    assert.equal(holds(conditions, input({ action: 'file.delete', scope: { size: 1 } })), false);
    assert.equal(holds(conditions, input({ action: 'file.read', scope: { size: 10 } })), false);
  });

  it('matches everything with {}', () => {
    assert.equal(holds({}, input()), true);
  });

  it('supports any, all and not, nested', () => {
    const conditions = {
      any: [
        { action: { equals: 'a' } },
        { all: [{ action: { startsWith: 'b.' } }, { not: { agent: { in: ['mallory', 'eve'] } } }] },
      ],
    };
    assert.equal(holds(conditions, input({ action: 'a' })), true);
    assert.equal(holds(conditions, input({ action: 'b.x' })), true);
    assert.equal(holds(conditions, input({ action: 'b.x', agent: 'eve' })), false);
    assert.equal(holds(conditions, input({ action: 'c' })), false);
  });

  it('combines combinators with fields in one map', () => {
    const conditions = { agent: { equals: 'bot' }, not: { 'context.urgent': { equals: true } } };
    assert.equal(holds(conditions, input({ agent: 'bot' })), true);
    assert.equal(holds(conditions, input({ agent: 'bot', context: { urgent: true } })), false);
    assert.equal(holds(conditions, input({ agent: 'other' })), false);
  });

  it('double negation is identity', () => {
    const conditions = { not: { not: { action: { equals: 'x' } } } };
    assert.equal(holds(conditions, input({ action: 'x' })), true);
    assert.equal(holds(conditions, input({ action: 'y' })), false);
  });
});

describe('rule order', () => {
  const text = `
- name: low
  conditions: {}
  action: deny
  priority: -10
- name: first zero
  conditions: { action: { startsWith: "file." } }
  action: auto_approve
- name: second zero
  conditions: { action: { startsWith: "file." } }
  action: require_approval
- name: high
  conditions: { action: { equals: "file.delete" } }
  action: require_approval
  priority: 50
`;
  const policy = loadPolicy(text, 'order.yaml');

  it('orders by priority, highest first, ties in file order', () => {
    assert.deepEqual(
      policy.rules.map((r) => r.name),
      ['high', 'first zero', 'second zero', 'low'],
    );
    assert.deepEqual(
      policy.rules.map((r) => r.index),
      [3, 1, 2, 0],
    );
  });

  it('first match wins', () => {
    assert.equal(policy.evaluate(input({ action: 'file.delete' })).rule?.name, 'high');
    assert.equal(policy.evaluate(input({ action: 'file.read' })).rule?.name, 'first zero');
    assert.equal(policy.evaluate(input({ action: 'email.send' })).rule?.name, 'low');
  });

  it('denies with no rule when nothing matches, and for an empty policy', () => {
    const narrow = loadPolicy(
      '- name: only\n  conditions: { action: { equals: x } }\n  action: auto_approve\n',
      'a.yaml',
    );
    const result = narrow.evaluate(input({ action: 'y' }));
    assert.equal(result.decision, 'deny');
    assert.equal(result.rule, null);
    assert.equal(result.policyVersion, narrow.version);
    for (const text of ['', '# nothing yet\n', '[]']) {
      const empty = loadPolicy(text, 'empty.yaml');
      assert.deepEqual(empty.evaluate(input()), {
        decision: 'deny',
        rule: null,
        policyVersion: empty.version,
      });
    }
  });

  it('returns the rule with its settings and the policy version', () => {
    const result = policy.evaluate(input({ action: 'file.delete' }));
    assert.equal(result.decision, 'require_approval');
    assert.equal(result.rule?.priority, 50);
    assert.equal(result.rule?.approvals, 1);
    assert.equal(result.rule?.approvalTimeout, null);
    assert.match(result.policyVersion, /^pol_[0-9a-f]{16}$/);
  });
});

describe('explain', () => {
  const policy = loadPolicy(
    `
- name: "Auto-approve file reads"
  conditions:
    action: { equals: "file.read" }
    scope.size_limit: { lessThan: 1048576 }
  action: auto_approve
  priority: 10
- name: "Either"
  conditions:
    any:
      - agent: { equals: "ops" }
      - context.ticket: { matches: "^OPS-[0-9]+$" }
  action: require_approval
  priority: 5
- name: "Not bots"
  conditions:
    not: { agent: { endsWith: "-bot" } }
  action: require_approval
- name: "Catch all"
  conditions: {}
  action: deny
  priority: -1
`,
    'explain.yaml',
  );

  it('says why each earlier rule failed, and which matched', () => {
    const result = policy.explain(
      input({ action: 'file.write', agent: 'build-bot', context: { ticket: 'X-1' } }),
    );
    assert.equal(result.decision, 'deny');
    assert.equal(result.rule?.name, 'Catch all');
    assert.deepEqual(result.rules, [
      {
        rule: 'Auto-approve file reads',
        priority: 10,
        matched: false,
        failures: [
          'action: "file.write" does not equal "file.read"',
          'scope.size_limit: absent (lessThan 1048576)',
        ],
      },
      {
        rule: 'Either',
        priority: 5,
        matched: false,
        failures: [
          'any: none of 2 alternatives held (#1 agent: "build-bot" does not equal "ops"; #2 context.ticket: "X-1" does not match "^OPS-[0-9]+$")',
        ],
      },
      {
        rule: 'Not bots',
        priority: 0,
        matched: false,
        failures: ['not: the negated condition held {"agent":{"endsWith":"-bot"}}'],
      },
      { rule: 'Catch all', priority: -1, matched: true, failures: [] },
    ]);
  });

  it('stops at the first match', () => {
    const result = policy.explain(input({ action: 'file.read', scope: { size_limit: 10 } }));
    assert.equal(result.rule?.name, 'Auto-approve file reads');
    assert.equal(result.rules.length, 1);
    assert.equal(result.rules[0]?.matched, true);
  });

  it('describes failures and present values for exists: false; a false part outweighs an unknown one', () => {
    const p = rule({
      'scope.size_limit': { lessThan: 10 },
      action: { startsWith: 'x' },
      'context.a': { exists: false },
      all: [{ 'context.list': { contains: 'z' } }],
    });
    const result = p.explain(
      input({ action: 'y', scope: { size_limit: 'big' }, context: { a: 1, list: ['q'] } }),
    );
    assert.deepEqual(result.rules[0]?.failures, [
      'action: "y" does not start with "x"',
      'context.a: present (exists false)',
      'all[0]: context.list: ["q"] does not contain "z"',
    ]);
    assert.equal(result.rules[0]?.unknown, undefined);
  });

  it('describes values it cannot compare (finding 6)', () => {
    const p = rule({
      'scope.size_limit': { lessThan: 10 },
      'context.to': { endsWith: '@x.com' },
      'context.n': { in: [1, 2] },
      'context.list': { contains: 'z' },
    });
    const result = p.explain(
      input({ scope: { size_limit: 'big' }, context: { to: ['a@x.com'], n: '1', list: [['z']] } }),
    );
    assert.equal(result.decision, 'deny');
    assert.deepEqual(result.rules[0], {
      rule: 'r',
      priority: 0,
      matched: false,
      failures: [],
      unknown: [
        'scope.size_limit: "big" is not a number (lessThan 10)',
        'context.to: ["a@x.com"] is not a string (endsWith "@x.com")',
        'context.n: "1" is not a number (in [1,2])',
        'context.list: [["z"]] has an element that is not a string (contains "z")',
      ],
    });
  });

  it('explains a default deny with every rule', () => {
    const p = loadPolicy(
      '- name: a\n  conditions: { agent: { in: [x, y] } }\n  action: auto_approve\n',
      'p.yaml',
    );
    const result = p.explain(input());
    assert.equal(result.rule, null);
    assert.deepEqual(result.rules[0]?.failures, ['agent: "assistant" is not one of ["x","y"]']);
  });
});

describe('evaluate and explain agree, with and without the action index', () => {
  // A fixed pseudo-random generator, so failures reproduce.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const actions = ['a', 'b', 'c', 'd.x', 'd.y'];
  const leaf = (): Record<string, unknown> => {
    switch (rand(6)) {
      case 0:
        return { action: { equals: actions[rand(actions.length)] } };
      case 1:
        return { action: { in: [actions[rand(5)], actions[rand(5)]] } };
      case 2:
        return { action: { startsWith: 'd.' } };
      case 3:
        return { 'scope.n': { lessThan: rand(10) } };
      case 4:
        return rand(2) === 0
          ? { 'context.tag': { exists: rand(2) === 0 } }
          : { 'context.tag': { equals: 'x' } };
      default:
        return { agent: { notIn: ['x'] } };
    }
  };
  const conditions = (depth: number): Record<string, unknown> => {
    const kind = depth > 1 ? 0 : rand(4);
    if (kind === 1) return { any: [conditions(depth + 1), conditions(depth + 1)] };
    if (kind === 2) return { not: conditions(depth + 1) };
    if (kind === 3) return { ...leaf(), all: [conditions(depth + 1)] };
    return leaf();
  };

  it('on random policies and requests', () => {
    for (let round = 0; round < 30; round++) {
      const rules = Array.from({ length: 20 }, (_, i) => ({
        name: `r${i}`,
        conditions: conditions(0),
        action: ['auto_approve', 'require_approval', 'deny'][rand(3)],
        priority: rand(3),
      }));
      const policy = loadPolicy(JSON.stringify(rules), 'random.yaml');
      for (let k = 0; k < 30; k++) {
        // Some values of the wrong type, which the rules cannot compare (finding 6).
        const n = [rand(12), rand(12), String(rand(12)), [rand(12)], { v: 1 }][rand(5)];
        const request = input({
          action: actions[rand(actions.length)] as string,
          scope: rand(3) === 0 ? {} : { n },
          context: rand(2) === 0 ? {} : { tag: rand(3) === 0 ? ['x'] : 'x' },
          agent: rand(4) === 0 ? 'x' : 'y',
        });
        const evaluated = policy.evaluate(request);
        const explained = policy.explain(request);
        assert.equal(explained.rule, evaluated.rule);
        assert.equal(explained.decision, evaluated.decision);
        assert.equal(explained.reason, evaluated.reason);
        assert.ok(explained.rules.filter((r) => r.matched).length <= 1);
        // Each rule either held, failed with reasons, or could not be compared, with reasons.
        for (const r of explained.rules) {
          const verdicts = [r.matched, r.failures.length > 0, r.unknown !== undefined];
          assert.equal(verdicts.filter(Boolean).length, 1, JSON.stringify(r));
        }
      }
    }
  });
});

describe('regular expressions', () => {
  it('run in linear time on patterns that backtrack catastrophically elsewhere', () => {
    const policy = rule({ 'context.text': { matches: '(a+)+$' } });
    const evil = `${'a'.repeat(30_000)}!`;
    // With a backtracking engine this would not finish; no timing assertion, the test's own timeout suffices.
    assert.equal(policy.evaluate(input({ context: { text: evil } })).decision, 'deny');
    assert.equal(policy.evaluate(input({ context: { text: 'xaaa' } })).decision, 'auto_approve');
    const nested = rule({ 'context.text': { matches: '^(a|aa)+$' } });
    assert.equal(nested.evaluate(input({ context: { text: evil } })).decision, 'deny');
  });

  it('use find semantics unless the pattern anchors', () => {
    assert.equal(holds({ 'context.t': { matches: 'b' } }, input({ context: { t: 'abc' } })), true);
    assert.equal(holds({ 'context.t': { matches: '^b' } }, input({ context: { t: 'abc' } })), false);
    assert.equal(holds({ 'context.t': { matches: '^abc$' } }, input({ context: { t: 'abc' } })), true);
  });
});

describe('hot path', () => {
  it('evaluates a large policy by action index and by scan alike (sanity, no timing)', () => {
    const rules = Array.from({ length: 1000 }, (_, i) => ({
      name: `r${i}`,
      conditions: i % 2 === 0 ? { action: { equals: `svc${i}.op` } } : { action: { startsWith: `svc${i}.` } },
      action: 'auto_approve',
    }));
    const policy = loadPolicy(JSON.stringify(rules), 'big.yaml');
    for (let i = 0; i < 1000; i++) {
      assert.equal(policy.evaluate(input({ action: `svc${i}.op` })).rule?.name, `r${i}`);
    }
    assert.equal(policy.evaluate(input({ action: 'nothing' })).rule, null);
    // The same evaluation object is returned each time: evaluate allocates no result.
    assert.equal(
      policy.evaluate(input({ action: 'svc2.op' })),
      policy.evaluate(input({ action: 'svc2.op' })),
    );
  });

  it('shares frozen results and rules', () => {
    const policy = loadPolicy(
      '- name: t\n  conditions: {}\n  action: auto_approve\n  scopeTemplate: { allowed_x: [a] }\n',
      't.yaml',
    );
    const result = policy.evaluate(input());
    assert.ok(Object.isFrozen(result));
    assert.ok(Object.isFrozen(result.rule));
    assert.ok(Object.isFrozen(policy.rules));
    const allowed = result.rule?.scopeTemplate?.allowed_x;
    assert.ok(Array.isArray(allowed));
    assert.throws(() => allowed.push('b'), TypeError);
  });
});

describe('the action index', () => {
  it('keys rules by the actions they can match, through all, any and not', () => {
    const set = (exact: string[], prefixes: string[] = []) => ({ exact: new Set(exact), prefixes });
    const exact = (...actions: string[]) => set(actions);
    const prefix = (...p: string[]) => set([], p);
    assert.deepEqual(actionKey({ action: { equals: 'a' } }), exact('a'));
    assert.deepEqual(actionKey({ action: { in: ['a', 'b'] } }), exact('a', 'b'));
    // A string action is compared with the list's strings: not one of them is FALSE.
    assert.deepEqual(actionKey({ action: { in: ['a', 1] } }), exact('a'));
    assert.deepEqual(
      actionKey({ action: { startsWith: 'bank.' }, 'scope.n': { lessThan: 1 } }),
      prefix('bank.'),
    );
    assert.deepEqual(actionKey({ action: { matches: '^bank\\.tr(ansfer)?$' } }), prefix('bank.tr'));
    assert.deepEqual(actionKey({ all: [{ all: [{ action: { startsWith: 'x' } }] }] }), prefix('x'));
    // all: the narrowest constraint wins: an exact set over a prefix, the longer prefix, the smaller set.
    assert.deepEqual(
      actionKey({ action: { startsWith: 'a' }, all: [{ action: { equals: 'a.b' } }] }),
      exact('a.b'),
    );
    assert.deepEqual(
      actionKey({ action: { startsWith: 'a' }, all: [{ action: { startsWith: 'a.b' } }] }),
      prefix('a.b'),
    );
    assert.deepEqual(
      actionKey({ action: { in: ['a', 'b'] }, all: [{ action: { equals: 'a' } }] }),
      exact('a'),
    );
    // any: the union of the branches, normalised (covered entries dropped).
    assert.deepEqual(actionKey({ any: [{ action: { startsWith: 'a' } }] }), prefix('a'));
    assert.deepEqual(
      actionKey({
        any: [
          { action: { startsWith: 'svc.' }, agent: { equals: 'x' } },
          { action: { in: ['svc.x', 'b'] } },
          { all: [{ action: { startsWith: 'svc.y' } }] },
        ],
      }),
      set(['b'], ['svc.']),
    );
    // not: outside notEquals / notIn the negated test is TRUE, so the rule is FALSE.
    assert.deepEqual(actionKey({ not: { action: { notEquals: 'a' } } }), exact('a'));
    assert.deepEqual(actionKey({ not: { action: { notIn: ['a', 'b'] } } }), exact('a', 'b'));
    assert.deepEqual(actionKey({ not: { not: { action: { startsWith: 'a' } } } }), prefix('a'));
    assert.deepEqual(
      actionKey({ not: { any: [{ action: { notEquals: 'a' } }, { agent: { equals: 'x' } }] } }),
      exact('a'),
    );
    assert.deepEqual(
      actionKey({ not: { all: [{ action: { notEquals: 'a' } }, { action: { notIn: ['b'] } }] } }),
      exact('a', 'b'),
    );
    assert.deepEqual(actionKey({ not: {} }), exact());
    // Unconstrained: a branch of any without a constraint, negations of tests that can be FALSE,
    // other operators, non-string operands, the empty prefix, unanchored patterns.
    assert.equal(actionKey({ any: [{ action: { startsWith: 'a' } }, { agent: { equals: 'x' } }] }), null);
    assert.equal(actionKey({ not: { action: { startsWith: 'a' } } }), null);
    assert.equal(actionKey({ all: [{ not: { action: { equals: 'a' } } }] }), null);
    assert.equal(
      actionKey({ not: { all: [{ action: { notEquals: 'a' } }, { agent: { equals: 'x' } }] } }),
      null,
    );
    assert.equal(actionKey({ action: { endsWith: '.send' } }), null);
    assert.equal(actionKey({ action: { notEquals: 'a' } }), null);
    assert.equal(actionKey({ action: { in: [1, 2] } }), null);
    assert.equal(actionKey({ action: { equals: 1 } }), null);
    assert.equal(actionKey({ action: { startsWith: '' } }), null);
    assert.equal(actionKey({ action: { matches: 'bank' } }), null);
    assert.equal(actionKey({ resource: { startsWith: 'a' } }), null);
    assert.equal(actionKey({}), null);
  });

  it('reads the literal prefix of an anchored pattern, never too long', () => {
    const cases: [string, string][] = [
      ['^bank\\.', 'bank.'],
      ['^svc1\\.(read|write)$', 'svc1.'],
      ['^ab?c', 'a'],
      ['^ab*c', 'a'],
      ['^ab{2}', 'a'],
      ['^ab+c', 'ab'],
      ['^a.b', 'a'],
      ['^a[bc]', 'a'],
      ['^a\\d', 'a'],
      ['^a\\Qb\\E', 'a'],
      ['^abc$', 'abc'],
      ['^a|b', ''],
      ['^a(b|c)|d', ''],
      ['^a(b|c)', 'a'],
      ['^a[(]|b', ''],
      ['^a\\Q(\\E|b', ''],
      ['^(?i)abc', ''],
      ['^é', ''],
      ['abc', ''],
      ['^', ''],
    ];
    for (const [pattern, expected] of cases) assert.equal(literalPrefix(pattern), expected, pattern);
  });

  const text = `
- name: open low
  conditions: {}
  action: deny
  priority: -5
- name: bank prefix
  conditions: { action: { startsWith: "bank." }, scope.amount: { lessThan: 100 } }
  action: auto_approve
- name: bank exact
  conditions: { action: { equals: "bank.transfer" } }
  action: require_approval
- name: agent gate
  conditions: { agent: { equals: "ops" } }
  action: require_approval
- name: bank.t prefix, high
  conditions: { action: { startsWith: "bank.t" }, context.flag: { exists: true } }
  action: deny
  priority: 10
- name: short prefix
  conditions: { action: { startsWith: "b" }, context.other: { exists: true } }
  action: deny
- name: any prefix
  conditions: { any: [{ action: { startsWith: "bank." } }, { action: { equals: "x" } }] }
  action: require_approval
  priority: -1
- name: not prefix
  conditions: { not: { action: { startsWith: "bank." } }, agent: { equals: "bot" } }
  action: deny
  priority: -1
`;
  const policy = loadPolicy(text, 'prefix.yaml');
  const expect = (request: PolicyInput, name: string | null) => {
    assert.equal(policy.evaluate(request).rule?.name ?? null, name);
    assert.equal(policy.explain(request).rule?.name ?? null, name);
  };

  it('finds prefix rules in rule order among exact, prefix and unconstrained ones', () => {
    expect(input({ action: 'bank.transfer', scope: { amount: 5 } }), 'bank prefix');
    expect(input({ action: 'bank.transfer', scope: { amount: 500 } }), 'bank exact');
    expect(input({ action: 'bank.transfer', context: { flag: 1 } }), 'bank.t prefix, high');
    expect(input({ action: 'bank.t', context: { flag: 1 } }), 'bank.t prefix, high');
    expect(input({ action: 'bank.tx', scope: { amount: 500 }, agent: 'ops' }), 'agent gate');
    expect(input({ action: 'bank.tx', scope: { amount: 500 }, context: { other: 1 } }), 'short prefix');
    expect(input({ action: 'bank.tx', scope: { amount: 500 } }), 'any prefix');
    expect(input({ action: 'bank', context: { flag: 1, other: 1 } }), 'short prefix');
    expect(input({ action: 'bank', agent: 'bot' }), 'not prefix');
    expect(input({ action: 'x' }), 'any prefix');
    expect(input({ action: 'file.read', scope: { amount: 5 } }), 'open low');
    expect(input({ action: '' }), 'open low');
  });

  it('tries only unconstrained rules for an absent or non-string action', () => {
    for (const action of [null, 5, undefined]) {
      const request = { ...input({ agent: 'ops' }), action } as unknown as PolicyInput;
      expect(request, 'agent gate');
    }
  });

  // A fixed pseudo-random generator, so failures reproduce.
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pick = <T>(items: readonly T[]): T => items[rand(items.length)] as T;
  const actions = ['a', 'a.b', 'a.b.c', 'ab', 'b.x', 'b.xy', 'bank.t', 'c', ''];
  const prefixes = ['a', 'a.', 'a.b', 'a.b.c', 'ab', 'b', 'b.x', 'bank.', 'z', ''];
  const leaf = (): Record<string, unknown> => {
    switch (rand(8)) {
      case 0:
        return { action: { equals: pick(actions) } };
      case 1:
        return { action: { in: [pick(actions), pick(actions)] } };
      case 2:
      case 3:
        return { action: { startsWith: pick(prefixes) } };
      case 4:
        return { 'scope.n': { lessThan: rand(10) } };
      case 5:
        return { 'context.tag': { exists: rand(2) === 0 } };
      case 6:
        return { action: { startsWith: pick(prefixes), notEquals: pick(actions) } };
      default:
        return { agent: { notIn: ['x'] } };
    }
  };
  const conditions = (depth: number): Record<string, unknown> => {
    const kind = depth > 1 ? 0 : rand(6);
    if (kind === 1) return { any: [conditions(depth + 1), conditions(depth + 1)] };
    if (kind === 2) return { not: conditions(depth + 1) };
    if (kind === 3) return { ...leaf(), all: [conditions(depth + 1)] };
    if (kind === 4) return {};
    return leaf();
  };
  // Some values of the wrong type: an index must never skip a rule that could be undecided.
  const request = () =>
    input({
      action: pick(actions),
      scope: rand(3) === 0 ? {} : { n: pick([rand(12), rand(12), String(rand(12)), [1]]) },
      context: rand(2) === 0 ? {} : { tag: 'x' },
      agent: rand(4) === 0 ? 'x' : 'y',
    });

  it('agrees with explain on random policies of prefix, exact and unconstrained rules', () => {
    for (let round = 0; round < 60; round++) {
      const rules = Array.from({ length: 1 + rand(30) }, (_, i) => ({
        name: `r${i}`,
        conditions: conditions(0),
        action: pick(['auto_approve', 'require_approval', 'deny']),
        // Few distinct priorities, so many ties fall back to file order.
        priority: rand(3) - 1,
      }));
      const policy = loadPolicy(JSON.stringify(rules), 'random.yaml');
      for (let k = 0; k < 40; k++) {
        const r = request();
        const evaluated = policy.evaluate(r);
        const explained = policy.explain(r);
        assert.equal(explained.rule, evaluated.rule, JSON.stringify({ rules, r }));
        assert.equal(explained.decision, evaluated.decision);
        assert.equal(explained.reason, evaluated.reason);
      }
    }
  });

  it('finds the same rule as a scan, with and without the lists merged ahead', () => {
    for (let round = 0; round < 60; round++) {
      const maps = Array.from({ length: 1 + rand(30) }, () => conditions(0));
      const decisions = maps.map(() => pick(['auto_approve', 'require_approval', 'deny'] as const));
      const compiled = maps.map((map) => compileConditions(map, ''));
      const keys = maps.map(actionKey);
      const ahead = buildRuleFinder(keys, compiled, decisions);
      const atDecision = buildRuleFinder(keys, compiled, decisions, 0);
      const scan = buildRuleFinder(
        keys.map(() => null),
        compiled,
        decisions,
      );
      for (let k = 0; k < 40; k++) {
        const r = request();
        const scanned = scan(r);
        assert.equal(ahead(r), scanned, JSON.stringify({ maps, r }));
        assert.equal(atDecision(r), scanned, JSON.stringify({ maps, r }));
      }
    }
  });

  it('serves many prefixes of many lengths', () => {
    const rules = Array.from({ length: 1000 }, (_, i) => ({
      name: `r${i}`,
      conditions: { action: { startsWith: `svc${i}.${'x'.repeat(i % 7)}` } },
      action: 'auto_approve',
      priority: i % 5,
    }));
    rules.push({ name: 'last', conditions: {} as never, action: 'deny', priority: -1 });
    const policy = loadPolicy(JSON.stringify(rules), 'prefixes.yaml');
    for (let i = 0; i < 1000; i++) {
      const action = `svc${i}.${'x'.repeat(i % 7)}op`;
      assert.equal(policy.evaluate(input({ action })).rule?.name, `r${i}`);
      assert.equal(policy.evaluate(input({ action: action.slice(0, -2) })).rule?.name, `r${i}`);
    }
    assert.equal(policy.evaluate(input({ action: 'svc1' })).rule?.name, 'last');
  });

  it('tells apart prefixes whose hashes collide', () => {
    // "Aa" and "BB" have the same 31-polynomial hash, as do "AaAa", "AaBB", "BBAa" and "BBBB".
    const names = ['Aa', 'BB', 'AaAa', 'AaBB', 'BBAa', 'BBBB'];
    const policy = loadPolicy(
      JSON.stringify(
        names.map((p, i) => ({
          name: p,
          conditions: { action: { startsWith: p } },
          action: 'deny',
          priority: i,
        })),
      ),
      'collide.yaml',
    );
    for (const action of names)
      assert.equal(policy.evaluate(input({ action: `${action}.x` })).rule?.name, action);
    assert.equal(policy.evaluate(input({ action: 'AaB' })).rule?.name, 'Aa');
    assert.equal(policy.evaluate(input({ action: 'Ab' })).rule, null);
  });
});
