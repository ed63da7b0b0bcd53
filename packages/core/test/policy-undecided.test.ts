import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPolicy } from '../src/policy/load.ts';
import type { PolicyInput } from '../src/policy/types.ts';

/**
 * Finding 6: a request whose values have a type a higher-priority rule cannot compare must never
 * fall through to a more permissive rule below it (three-valued evaluation, see truth.ts).
 */

function input(context: Record<string, unknown>, action = 'bank.transfer'): PolicyInput {
  return { action, resource: null, scope: {}, context, agent: 'bot', agentId: 'agt_1' };
}

const MISTYPED: unknown[] = ['5000', [5000], { v: 5000 }, true];

/** Both evaluate and explain, which must agree, including on the reason. */
function decide(policyText: string, request: PolicyInput) {
  const policy = loadPolicy(policyText, 'p.yaml');
  const evaluated = policy.evaluate(request);
  const explained = policy.explain(request);
  assert.equal(explained.decision, evaluated.decision);
  assert.equal(explained.rule, evaluated.rule);
  assert.equal(explained.reason, evaluated.reason);
  return { ...evaluated, rules: explained.rules };
}

const denyAbove = `
- name: Big transfers denied
  conditions:
    action: { equals: bank.transfer }
    context.amount: { greaterThan: 1000 }
  action: deny
  priority: 10
- name: Transfers approved
  conditions: { action: { startsWith: bank. } }
  action: auto_approve
`;

describe('finding 6: values a deny rule cannot compare', () => {
  for (const amount of MISTYPED) {
    it(`denies amount ${JSON.stringify(amount)}, naming the rule and the value`, () => {
      const result = decide(denyAbove, input({ amount }));
      assert.equal(result.decision, 'deny');
      assert.equal(result.rule?.name, 'Big transfers denied');
      assert.equal(
        result.reason,
        `context.amount: ${JSON.stringify(amount)} is not a number (greaterThan 1000) in rule "Big transfers denied"`,
      );
      assert.deepEqual(result.rules[0]?.unknown, [
        `context.amount: ${JSON.stringify(amount)} is not a number (greaterThan 1000)`,
      ]);
      assert.equal(result.rules.length, 1, 'a deny rule that might match decides at once');
    });
  }

  it('denies 5000 as a plain match, and approves 500 and an absent amount', () => {
    const big = decide(denyAbove, input({ amount: 5000 }));
    assert.equal(big.decision, 'deny');
    assert.equal(big.rule?.name, 'Big transfers denied');
    assert.equal(big.reason, undefined);
    for (const context of [{ amount: 500 }, {}, { amount: null }]) {
      const small = decide(denyAbove, input(context));
      assert.equal(small.decision, 'auto_approve', JSON.stringify(context));
      assert.equal(small.reason, undefined);
    }
  });

  it('does not deny when another part of the rule is false, whatever the value', () => {
    // "action equals bank.transfer" is false for bank.balance: FALSE AND UNKNOWN is FALSE.
    const result = decide(denyAbove, input({ amount: '5000' }, 'bank.balance'));
    assert.equal(result.decision, 'auto_approve');
  });

  it('holds for a human when the rule that cannot compare requires approval', () => {
    const text = denyAbove.replace('action: deny', 'action: require_approval');
    for (const amount of MISTYPED) {
      const result = decide(text, input({ amount }));
      assert.equal(result.decision, 'require_approval', JSON.stringify(amount));
      assert.equal(result.rule?.name, 'Big transfers denied');
      assert.match(
        result.reason ?? '',
        /is not a number \(greaterThan 1000\) in rule "Big transfers denied"$/,
      );
    }
    assert.equal(decide(text, input({ amount: 500 })).decision, 'auto_approve');
  });

  it('applies a not-wrapped rule', () => {
    const text = `
- name: Only small transfers pass
  conditions: { not: { context.amount: { lessThanOrEqual: 1000 } } }
  action: deny
  priority: 10
- name: Transfers approved
  conditions: {}
  action: auto_approve
`;
    for (const amount of MISTYPED) {
      const result = decide(text, input({ amount }));
      assert.equal(result.decision, 'deny', JSON.stringify(amount));
      assert.match(result.reason ?? '', /is not a number \(lessThanOrEqual 1000\)/);
    }
    assert.equal(decide(text, input({ amount: 5000 })).decision, 'deny');
    assert.equal(decide(text, input({ amount: 500 })).decision, 'auto_approve');
  });

  it('combines any and all in three values', () => {
    const text = `
- name: Risky
  conditions:
    all:
      - action: { startsWith: bank. }
      - any:
          - context.amount: { greaterThan: 1000 }
          - context.country: { in: [KP, IR] }
  action: deny
  priority: 10
- name: Rest
  conditions: {}
  action: auto_approve
`;
    // any: one alternative true decides, whatever the other.
    assert.equal(decide(text, input({ amount: '5000', country: 'KP' })).reason, undefined);
    assert.equal(decide(text, input({ amount: '5000', country: 'KP' })).decision, 'deny');
    // any: false OR unknown is unknown → the deny rule might match.
    const undecided = decide(text, input({ amount: '5000', country: 'DE' }));
    assert.equal(undecided.decision, 'deny');
    assert.equal(
      undecided.reason,
      'context.amount: "5000" is not a number (greaterThan 1000) in rule "Risky"',
    );
    const both = decide(text, input({ amount: [1], country: 7 }));
    assert.equal(
      both.reason,
      'context.amount: [1] is not a number (greaterThan 1000); context.country: 7 is not a string (in ["KP","IR"]) in rule "Risky"',
    );
    assert.equal(decide(text, input({ amount: 5, country: 'DE' })).decision, 'auto_approve');
    // all: the action part is false, so the rule is false.
    assert.equal(decide(text, input({ amount: '5000' }, 'file.read')).decision, 'auto_approve');
  });
});

describe('finding 6: the decision is the strictest of the match and the rules above it that might match', () => {
  const policy = (below: string) => `
- name: Held
  conditions: { context.amount: { lessThan: 100 } }
  action: require_approval
  priority: 10
- name: Cheap
  conditions: { context.amount: { lessThan: 10 } }
  action: auto_approve
  priority: 5
- name: Below
  conditions: { action: { equals: bank.transfer } }
  action: ${below}
`;

  it('an auto_approve rule that cannot compare does not match', () => {
    const result = decide(policy('deny'), input({ amount: 'x' }, 'bank.other'));
    assert.equal(result.decision, 'deny');
    assert.equal(result.rule, null, 'default deny');
    assert.equal(result.rules[1]?.unknown?.length, 1);
  });

  it('a held require_approval outranks a lower auto_approve match and carries the reason', () => {
    const result = decide(policy('auto_approve'), input({ amount: 'x' }));
    assert.equal(result.decision, 'require_approval');
    assert.equal(result.rule?.name, 'Held');
    assert.equal(result.reason, 'context.amount: "x" is not a number (lessThan 100) in rule "Held"');
  });

  it('a lower deny or require_approval match decides itself', () => {
    const denied = decide(policy('deny'), input({ amount: 'x' }));
    assert.equal(denied.rule?.name, 'Below');
    assert.equal(denied.reason, undefined);
    const held = decide(policy('require_approval'), input({ amount: 'x' }));
    assert.equal(held.rule?.name, 'Below', 'on a tie the rule that surely applies decides');
    assert.equal(held.reason, undefined);
  });

  it('without a match the default deny outranks a held require_approval', () => {
    const result = decide(policy('auto_approve'), input({ amount: 'x' }, 'file.read'));
    assert.equal(result.decision, 'deny');
    assert.equal(result.rule, null);
  });

  it('comparable values decide as before', () => {
    assert.equal(decide(policy('deny'), input({ amount: 5 })).rule?.name, 'Held');
    assert.equal(decide(policy('deny'), input({ amount: 500 })).rule?.name, 'Below');
  });
});

describe('finding 6: the action index never skips a rule that might match', () => {
  it('tries exact and prefix rules for their action, and every rule for a non-string action', () => {
    const text = `
- name: Exact deny
  conditions: { action: { equals: gmail.send }, context.to: { endsWith: "@rival.com" } }
  action: deny
  priority: 10
- name: Prefix deny
  conditions: { action: { startsWith: gmail. }, context.size: { greaterThan: 10 } }
  action: deny
  priority: 5
- name: Open
  conditions: {}
  action: auto_approve
`;
    assert.equal(decide(text, input({ to: ['x@rival.com'] }, 'gmail.send')).rule?.name, 'Exact deny');
    assert.equal(decide(text, input({ size: '11' }, 'gmail.read')).rule?.name, 'Prefix deny');
    assert.equal(decide(text, input({ size: '11' }, 'file.read')).decision, 'auto_approve');
    const odd = { ...input({ to: 'a@rival.com' }), action: 5 } as unknown as PolicyInput;
    const result = decide(text, odd);
    assert.equal(result.rule?.name, 'Exact deny');
    assert.match(result.reason ?? '', /^action: 5 is not a string \(equals "gmail.send"\)/);
  });

  it('keeps evaluate allocation-free for ordinary decisions', () => {
    const policy = loadPolicy(denyAbove, 'p.yaml');
    const request = input({ amount: 500 });
    assert.equal(policy.evaluate(request), policy.evaluate(request));
  });
});
