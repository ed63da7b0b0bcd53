import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { RE2JS } from 're2js';
import { PolicyLoadError } from '../src/policy/errors.ts';
import { checkPolicyText, loadPolicy } from '../src/policy/load.ts';
import type { PolicyInput } from '../src/policy/types.ts';

const DEFAULT_POLICY = `# Auto-approve small file reads
- name: "Auto-approve file reads"
  conditions:
    action: { equals: "file.read" }
    scope.size_limit: { lessThan: 1048576 }
  action: auto_approve
  scopeTemplate:
    max_size: 1048576
    allowed_extensions: [".txt", ".md", ".json"]
- name: "Financial operations require approval"
  conditions:
    action: { startsWith: "bank." }
  action: require_approval
  priority: 100
- name: "Auto-approve internal emails"
  conditions:
    action: { equals: "gmail.send" }
    context.recipient: { matches: ".*@mycompany\\\\.com$" }
  action: auto_approve
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

function request(overrides: Partial<PolicyInput>): PolicyInput {
  return {
    action: '',
    resource: null,
    scope: {},
    context: {},
    agent: 'assistant',
    agentId: 'agt_1',
    ...overrides,
  };
}

/** Loads text that must fail, and returns the error. */
function loadError(text: string, file = 'policies.yaml'): PolicyLoadError {
  const result = checkPolicyText(text, file);
  assert.equal(result.ok, false, 'expected a load error');
  if (result.ok) throw new Error('unreachable');
  assert.ok(result.error instanceof PolicyLoadError);
  assert.ok(result.error instanceof Error);
  assert.equal(result.error.file, file);
  const line = result.error.line === null ? '' : `:${result.error.line}`;
  assert.ok(result.error.message.startsWith(`${file}${line}: `), result.error.message);
  assert.ok(result.error.message.endsWith(result.error.reason), result.error.message);
  return result.error;
}

/** One rule named "r" with the given YAML lines (indented two spaces) after its name. */
function oneRule(body: string): string {
  return `- name: "r"\n${body}`;
}

describe('the default policy', () => {
  const policy = loadPolicy(DEFAULT_POLICY, 'policies.yaml');

  it('loads, with the version derived from the content', () => {
    const hash = createHash('sha256').update(DEFAULT_POLICY).digest('hex');
    assert.equal(policy.version, `pol_${hash.slice(0, 16)}`);
    assert.deepEqual(
      policy.rules.map((r) => [r.name, r.priority, r.decision]),
      [
        ['Financial operations require approval', 100, 'require_approval'],
        ['Auto-approve file reads', 0, 'auto_approve'],
        ['Auto-approve internal emails', 0, 'auto_approve'],
        ['Default deny', -1000, 'deny'],
      ],
    );
    assert.deepEqual(policy.rules[1]?.scopeTemplate, {
      max_size: 1048576,
      allowed_extensions: ['.txt', '.md', '.json'],
    });
  });

  it('decides the example requests', () => {
    const decide = (r: Partial<PolicyInput>) => {
      const result = policy.evaluate(request(r));
      return [result.decision, result.rule?.name];
    };
    assert.deepEqual(decide({ action: 'file.read', scope: { size_limit: 1024 } }), [
      'auto_approve',
      'Auto-approve file reads',
    ]);
    assert.deepEqual(decide({ action: 'file.read', scope: { size_limit: 1048576 } }), [
      'deny',
      'Default deny',
    ]);
    assert.deepEqual(decide({ action: 'file.read' }), ['deny', 'Default deny']);
    assert.deepEqual(decide({ action: 'bank.transfer', scope: { amount: 100 } }), [
      'require_approval',
      'Financial operations require approval',
    ]);
    assert.deepEqual(decide({ action: 'gmail.send', context: { recipient: 'alice@mycompany.com' } }), [
      'auto_approve',
      'Auto-approve internal emails',
    ]);
    assert.deepEqual(
      decide({ action: 'gmail.send', context: { recipient: 'alice@mycompany.com.evil.io' } }),
      ['deny', 'Default deny'],
    );
    assert.deepEqual(decide({ action: 'gmail.send', context: { recipient: 'alice@mycompanyXcom' } }), [
      'deny',
      'Default deny',
    ]);
    assert.deepEqual(decide({ action: 'gmail.send' }), ['deny', 'Default deny']);
    assert.deepEqual(decide({ action: 'slack.post' }), ['deny', 'Default deny']);
  });

  it('gives the same version for the same text and a new one for any change', () => {
    assert.equal(loadPolicy(DEFAULT_POLICY, 'other-name.yaml').version, policy.version);
    assert.notEqual(loadPolicy(`${DEFAULT_POLICY}\n`, 'policies.yaml').version, policy.version);
  });
});

describe('rule fields', () => {
  it('reads approvals, approvalTimeout and description', () => {
    const policy = loadPolicy(
      oneRule(
        '  description: "two people"\n  conditions: {}\n  action: require_approval\n  approvals: 2\n  approvalTimeout: 900\n',
      ),
      'p.yaml',
    );
    const rule = policy.rules[0];
    assert.equal(rule?.approvals, 2);
    assert.equal(rule?.approvalTimeout, 900);
    assert.equal(rule?.description, 'two people');
    assert.equal(rule?.scopeTemplate, null);
  });

  it('reads risk, null when the rule declares none', () => {
    for (const risk of ['low', 'medium', 'high'] as const) {
      const text = oneRule(`  conditions: {}\n  action: require_approval\n  risk: ${risk}\n`);
      assert.equal(loadPolicy(text, 'p.yaml').rules[0]?.risk, risk);
    }
    assert.equal(loadPolicy(oneRule('  conditions: {}\n  action: deny\n'), 'p.yaml').rules[0]?.risk, null);
  });

  it('accepts the approvalTimeout bounds', () => {
    for (const seconds of [10, 86400]) {
      const text = oneRule(`  conditions: {}\n  action: require_approval\n  approvalTimeout: ${seconds}\n`);
      assert.equal(loadPolicy(text, 'p.yaml').rules[0]?.approvalTimeout, seconds);
    }
  });

  it('reads enforcement, null when the rule sets none (finding 3)', () => {
    for (const mode of ['strict', 'lenient'] as const) {
      const text = oneRule(`  conditions: {}\n  action: require_approval\n  enforcement: ${mode}\n`);
      assert.equal(loadPolicy(text, 'p.yaml').rules[0]?.enforcement, mode);
    }
    const unset = oneRule('  conditions: {}\n  action: auto_approve\n');
    assert.equal(loadPolicy(unset, 'p.yaml').rules[0]?.enforcement, null);
  });

  it('bounds uses and ttl: maxUses defaults to the template grant, else 1 (finding 5)', () => {
    const rule = (body: string) => loadPolicy(oneRule(`  conditions: {}\n${body}`), 'p.yaml').rules[0];
    assert.equal(rule('  action: auto_approve\n')?.maxUses, 1);
    assert.equal(rule('  action: auto_approve\n')?.maxTtl, null);
    assert.equal(rule('  action: auto_approve\n  scopeTemplate: { max_emails: 3 }\n')?.maxUses, 3);
    assert.equal(rule('  action: auto_approve\n  scopeTemplate: { max_uses: unlimited }\n')?.maxUses, null);
    assert.equal(rule('  action: require_approval\n  maxUses: 7\n  maxTtl: 60\n')?.maxUses, 7);
    assert.equal(rule('  action: require_approval\n  maxUses: 7\n  maxTtl: 60\n')?.maxTtl, 60);
    assert.equal(
      rule('  action: auto_approve\n  maxUses: 4\n  scopeTemplate: { max_uses: 2 }\n')?.maxUses,
      4,
    );
  });

  it('allows a template to grant unlimited uses', () => {
    const text = oneRule(
      '  conditions: {}\n  action: auto_approve\n  scopeTemplate: { max_uses: unlimited }\n',
    );
    assert.deepEqual(loadPolicy(text, 'p.yaml').rules[0]?.scopeTemplate, { max_uses: 'unlimited' });
  });
});

describe('load errors name the file, the rule and the reason', () => {
  const ruleErrors: [string, string, RegExp][] = [
    [
      'unknown operator',
      '  conditions:\n    action: { starts_with: "file." }\n  action: auto_approve\n',
      /^unknown operator "starts_with" on "action" \(known: equals, notEquals, startsWith, endsWith, contains, matches, in, notIn, lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual, exists\)$/,
    ],
    [
      'unknown operator in a nested map',
      '  conditions:\n    any:\n      - action: { eq: x }\n  action: auto_approve\n',
      /^unknown operator "eq" on "action" in any\[0\]/,
    ],
    [
      'unknown field root',
      '  conditions:\n    acton: { equals: x }\n  action: deny\n',
      /^unknown field "acton"/,
    ],
    [
      'unknown nested field root',
      '  conditions:\n    not: { sope.x: { equals: 1 } }\n  action: deny\n',
      /^unknown field "sope.x" in not/,
    ],
    [
      'sub-field of a string field',
      '  conditions:\n    action.name: { equals: x }\n  action: deny\n',
      /"action" has no sub-fields/,
    ],
    [
      'bare object root',
      '  conditions:\n    scope: { exists: true }\n  action: deny\n',
      /"scope" needs a field name/,
    ],
    [
      'empty path segment',
      '  conditions:\n    scope..x: { exists: true }\n  action: deny\n',
      /invalid field path "scope..x"/,
    ],
    [
      'lessThan with a string',
      '  conditions:\n    scope.size: { lessThan: "1MB" }\n  action: deny\n',
      /^invalid value for lessThan on "scope.size": expected a number, got "1MB"$/,
    ],
    [
      'greaterThan with a boolean',
      '  conditions:\n    scope.size: { greaterThan: true }\n  action: deny\n',
      /greaterThan .*expected a number/,
    ],
    [
      'in with a non-list',
      '  conditions:\n    action: { in: "a" }\n  action: deny\n',
      /invalid value for in on "action": expected a non-empty list/,
    ],
    [
      'in with an empty list',
      '  conditions:\n    action: { in: [] }\n  action: deny\n',
      /invalid value for in/,
    ],
    [
      'notIn with objects',
      '  conditions:\n    action: { notIn: [{a: 1}] }\n  action: deny\n',
      /invalid value for notIn/,
    ],
    [
      'matches with a non-string',
      '  conditions:\n    action: { matches: 5 }\n  action: deny\n',
      /invalid value for matches on "action": expected a regular expression string/,
    ],
    [
      'matches with an invalid regex',
      '  conditions:\n    action: { matches: "(a" }\n  action: deny\n',
      /invalid value for matches on "action": invalid regular expression "\(a": .*missing closing \)/,
    ],
    [
      'matches with a backreference',
      '  conditions:\n    action: { matches: "(a)\\\\1" }\n  action: deny\n',
      /invalid regular expression/,
    ],
    [
      'matches with lookahead',
      '  conditions:\n    action: { matches: "a(?=b)" }\n  action: deny\n',
      /invalid regular expression/,
    ],
    [
      'exists with a non-boolean',
      '  conditions:\n    action: { exists: "yes" }\n  action: deny\n',
      /invalid value for exists on "action": expected true or false/,
    ],
    [
      'equals with a list',
      '  conditions:\n    action: { equals: [a, b] }\n  action: deny\n',
      /use "in" for a list/,
    ],
    [
      'equals with null',
      '  conditions:\n    action: { equals: null }\n  action: deny\n',
      /invalid value for equals/,
    ],
    [
      'startsWith with a number',
      '  conditions:\n    action: { startsWith: 5 }\n  action: deny\n',
      /invalid value for startsWith on "action": expected a string/,
    ],
    [
      'field without operators',
      '  conditions:\n    action: "file.read"\n  action: deny\n',
      /expected operators on "action", like \{ equals: "…" \}/,
    ],
    [
      'field with an empty operator map',
      '  conditions:\n    action: {}\n  action: deny\n',
      /expected operators on "action"/,
    ],
    [
      'any with a map',
      '  conditions:\n    any: { action: { equals: a } }\n  action: deny\n',
      /any must be a non-empty list of condition maps/,
    ],
    [
      'all with an empty list',
      '  conditions:\n    all: []\n  action: deny\n',
      /all must be a non-empty list/,
    ],
    [
      'not with a list',
      '  conditions:\n    not: [ { action: { equals: a } } ]\n  action: deny\n',
      /not must be a map/,
    ],
    ['conditions not a map', '  conditions: [a]\n  action: deny\n', /conditions must be a map/],
    ['missing conditions', '  action: deny\n', /missing "conditions" \(use \{\} to match every request\)/],
    ['missing action', '  conditions: {}\n', /missing "action"/],
    [
      'unknown action',
      '  conditions: {}\n  action: approve\n',
      /"action" must be one of auto_approve, require_approval, deny, got "approve"/,
    ],
    [
      'unknown rule key',
      '  conditions: {}\n  action: deny\n  priorty: 5\n',
      /unknown key "priorty" \(known: name, description/,
    ],
    ['merge key', '  conditions: {}\n  action: deny\n  <<: { priority: 5 }\n', /unknown key "<<"/],
    [
      'unknown risk',
      '  conditions: {}\n  action: require_approval\n  risk: severe\n',
      /"risk" must be one of low, medium, high, got "severe"/,
    ],
    [
      'risk as a number',
      '  conditions: {}\n  action: deny\n  risk: 3\n',
      /"risk" must be one of low, medium, high, got 3/,
    ],
    [
      'fractional priority',
      '  conditions: {}\n  action: deny\n  priority: 1.5\n',
      /"priority" must be an integer, got 1.5/,
    ],
    [
      'string priority',
      '  conditions: {}\n  action: deny\n  priority: high\n',
      /"priority" must be an integer/,
    ],
    [
      'approvals zero',
      '  conditions: {}\n  action: require_approval\n  approvals: 0\n',
      /"approvals" must be an integer ≥ 1, got 0/,
    ],
    [
      'approvals on auto_approve',
      '  conditions: {}\n  action: auto_approve\n  approvals: 2\n',
      /"approvals" only applies to require_approval rules/,
    ],
    [
      'approvalTimeout too short',
      '  conditions: {}\n  action: require_approval\n  approvalTimeout: 9\n',
      /"approvalTimeout" must be an integer from 10 to 86400/,
    ],
    [
      'approvalTimeout too long',
      '  conditions: {}\n  action: require_approval\n  approvalTimeout: 86401\n',
      /"approvalTimeout" must be/,
    ],
    [
      'approvalTimeout on deny',
      '  conditions: {}\n  action: deny\n  approvalTimeout: 60\n',
      /only applies to require_approval/,
    ],
    [
      'scopeTemplate not a map',
      '  conditions: {}\n  action: auto_approve\n  scopeTemplate: [a]\n',
      /invalid scopeTemplate: scope must be a JSON object/,
    ],
    [
      'scopeTemplate bad constraint',
      '  conditions: {}\n  action: auto_approve\n  scopeTemplate: { max_size: -1 }\n',
      /invalid scopeTemplate: max_size: must be a finite number/,
    ],
    [
      'scopeTemplate bad pattern',
      '  conditions: {}\n  action: auto_approve\n  scopeTemplate: { subject_pattern: "(" }\n',
      /invalid scopeTemplate: subject_pattern: invalid regular expression/,
    ],
    [
      'scopeTemplate on deny',
      '  conditions: {}\n  action: deny\n  scopeTemplate: { max_size: 1 }\n',
      /no effect on a deny rule/,
    ],
    [
      'enforcement unknown',
      '  conditions: {}\n  action: auto_approve\n  enforcement: strictest\n',
      /"enforcement" must be one of lenient, strict, got "strictest"/,
    ],
    [
      'enforcement on deny',
      '  conditions: {}\n  action: deny\n  enforcement: strict\n',
      /"enforcement" has no effect on a deny rule/,
    ],
    [
      'maxUses zero',
      '  conditions: {}\n  action: auto_approve\n  maxUses: 0\n',
      /"maxUses" must be an integer ≥ 1, got 0/,
    ],
    [
      'maxUses not an integer',
      '  conditions: {}\n  action: auto_approve\n  maxUses: unlimited\n',
      /"maxUses" must be an integer ≥ 1, got "unlimited"/,
    ],
    [
      'maxUses on deny',
      '  conditions: {}\n  action: deny\n  maxUses: 2\n',
      /"maxUses" has no effect on a deny rule/,
    ],
    [
      'maxUses with an unlimited template',
      '  conditions: {}\n  action: auto_approve\n  maxUses: 5\n  scopeTemplate: { max_uses: unlimited }\n',
      /"maxUses" contradicts scopeTemplate max_uses: unlimited/,
    ],
    [
      'maxUses below the template grant',
      '  conditions: {}\n  action: auto_approve\n  maxUses: 2\n  scopeTemplate: { max_emails: 5 }\n',
      /scopeTemplate grants 5 uses, more than "maxUses" 2/,
    ],
    [
      'maxTtl below the global minimum',
      '  conditions: {}\n  action: auto_approve\n  maxTtl: 29\n',
      /"maxTtl" must be an integer from 30 to 3600/,
    ],
    [
      'maxTtl above the global maximum',
      '  conditions: {}\n  action: require_approval\n  maxTtl: 3601\n',
      /"maxTtl" must be an integer from 30 to 3600/,
    ],
    [
      'maxTtl on deny',
      '  conditions: {}\n  action: deny\n  maxTtl: 60\n',
      /"maxTtl" has no effect on a deny rule/,
    ],
    [
      'description not a string',
      '  conditions: {}\n  action: deny\n  description: 5\n',
      /description must be a string/,
    ],
  ];
  for (const [label, body, reason] of ruleErrors) {
    it(label, () => {
      const error = loadError(`- name: ok\n  conditions: {}\n  action: deny\n${oneRule(body)}`);
      assert.equal(error.rule, 'r');
      assert.match(error.reason, reason);
      assert.ok(error.message.startsWith('policies.yaml:4: rule "r": '), error.message);
      assert.equal(error.line, 4);
    });
  }

  it('formats the message as file:line: rule "name": reason', () => {
    const error = loadError(
      '- name: "Auto-approve file reads"\n  conditions:\n    action: { starts_with: "file." }\n  action: auto_approve\n',
    );
    assert.equal(
      error.message,
      'policies.yaml:1: rule "Auto-approve file reads": unknown operator "starts_with" on "action" (known: equals, notEquals, startsWith, endsWith, contains, matches, in, notIn, lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual, exists)',
    );
  });

  it('names a rule without a usable name by its position', () => {
    for (const rule of [
      '- conditions: {}\n  action: deny\n',
      '- name: ""\n  conditions: {}\n  action: deny\n',
      '- name: 5\n  conditions: {}\n  action: deny\n',
      '- name: "   "\n  conditions: {}\n  action: deny\n',
    ]) {
      const error = loadError(`- name: first\n  conditions: {}\n  action: deny\n${rule}`);
      assert.equal(error.rule, '#2');
      assert.equal(error.reason, '"name" must be a non-empty string');
      assert.equal(error.message, 'policies.yaml:4: rule #2: "name" must be a non-empty string');
    }
    const notMap = loadError('- just a string\n');
    assert.equal(notMap.rule, '#1');
    assert.match(notMap.reason, /expected a map with name, conditions and action/);
  });

  it('refuses duplicate rule names', () => {
    const error = loadError(
      '- name: a\n  conditions: {}\n  action: deny\n- name: a\n  conditions: {}\n  action: deny\n',
    );
    assert.equal(error.rule, 'a');
    assert.equal(error.reason, 'duplicate rule name (rule #1 has it too)');
    assert.equal(error.line, 4);
  });

  it('refuses a top level that is not a list', () => {
    for (const text of ['name: a\nconditions: {}\naction: deny\n', '"just text"\n', '42\n']) {
      const error = loadError(text);
      assert.equal(error.rule, null);
      assert.match(error.reason, /the file must be a list of rules/);
    }
  });

  it('refuses YAML syntax errors with their line', () => {
    const error = loadError('- name: a\n  conditions: {}\n  action: deny\n- name: "b\n');
    assert.equal(error.rule, null);
    assert.equal(error.line, 5);
    assert.match(error.reason, /^YAML error at line 5, column \d+: /);
  });

  it('refuses duplicate keys, several documents, unknown tags and non-string keys', () => {
    assert.match(
      loadError('- name: a\n  name: b\n  conditions: {}\n  action: deny\n').reason,
      /line 2.*unique/,
    );
    assert.match(
      loadError('- name: a\n  conditions: {}\n  action: deny\n---\n- name: b\n').reason,
      /multiple documents/,
    );
    assert.match(
      loadError('- name: !!js/function "x"\n  conditions: {}\n  action: deny\n').reason,
      /line 1.*tag/i,
    );
    assert.match(
      loadError('- name: a\n  conditions: { [1, 2]: x }\n  action: deny\n').reason,
      /map keys must be strings \(line 2/,
    );
    assert.match(
      loadError('- name: a\n  conditions: { 5: { equals: 1 } }\n  action: deny\n').reason,
      /map keys must be strings/,
    );
  });

  it('refuses a YAML alias bomb', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
    ].join('\n');
    const error = loadError(
      `- name: a\n  conditions: {}\n  action: deny\n  description: x\n  scopeTemplate:\n    ${bomb.replaceAll('\n', '\n    ')}\n`,
    );
    assert.match(error.reason, /YAML aliases expand too much/);
  });

  it('allows ordinary aliases, e.g. a shared scopeTemplate', () => {
    const text = [
      '- name: a',
      '  conditions: { action: { equals: a } }',
      '  action: auto_approve',
      '  scopeTemplate: &small { max_size: 10 }',
      '- name: b',
      '  conditions: { action: { equals: b } }',
      '  action: auto_approve',
      '  scopeTemplate: *small',
    ].join('\n');
    const policy = loadPolicy(text, 'p.yaml');
    assert.deepEqual(policy.rules[1]?.scopeTemplate, { max_size: 10 });
  });

  it('throws PolicyLoadError from loadPolicy', () => {
    assert.throws(
      () => loadPolicy('- name: x\n', 'bad.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof PolicyLoadError);
        assert.equal(error.name, 'PolicyLoadError');
        assert.equal(
          error.message,
          'bad.yaml:1: rule "x": missing "action" (one of auto_approve, require_approval, deny)',
        );
        return true;
      },
    );
  });
});

describe('regular expressions in policies', () => {
  it('are compiled once, at load', () => {
    const original = RE2JS.compile;
    let compiled = 0;
    RE2JS.compile = ((pattern: string, flags?: number) => {
      compiled += 1;
      return original.call(RE2JS, pattern, flags);
    }) as typeof RE2JS.compile;
    try {
      const policy = loadPolicy(
        '- name: m\n  conditions: { context.to: { matches: "@corp\\\\.com$" } }\n  action: auto_approve\n',
        'p.yaml',
      );
      assert.equal(compiled, 1);
      for (let i = 0; i < 100; i++) {
        const to = i % 2 === 0 ? 'a@corp.com' : 'a@else.com';
        const decision = policy.evaluate(request({ action: 'x', context: { to } })).decision;
        assert.equal(decision, i % 2 === 0 ? 'auto_approve' : 'deny');
      }
      assert.equal(compiled, 1);
    } finally {
      RE2JS.compile = original;
    }
  });
});
