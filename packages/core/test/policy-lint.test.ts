import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAnchored } from '../src/policy/lint.ts';
import { loadPolicy } from '../src/policy/load.ts';

/** Finding 4 (`policy check` part): warnings about valid but dangerous rules. */

const warningsOf = (text: string) => loadPolicy(text, 'p.yaml').warnings;

describe('finding 4: anchored regexes', () => {
  const cases: [string, boolean][] = [
    ['^[^@]+@mycompany\\.com$', true],
    ['\\A[a-z]+\\z', true],
    ['(?i)^inv-[0-9]+$', true],
    ['^(?:a|b)$', true],
    ['^[|]$', true],
    ['^[]|]$', true],
    ['^a\\\\$', true],
    ['^$', true],
    ['.*@mycompany\\.com$', false],
    ['^inv-', false],
    ['needle', false],
    ['^a|b$', false],
    ['^a$|^b$', false],
    ['^a\\$', false],
    ['^a\\\\z', false],
    ['(?m)^a$', false],
    ['(?im)^a$', false],
    ['', false],
  ];
  for (const [pattern, anchored] of cases) {
    it(`${JSON.stringify(pattern)} is ${anchored ? '' : 'not '}anchored`, () => {
      assert.equal(isAnchored(pattern), anchored);
    });
  }
});

describe('finding 4: policy warnings', () => {
  const internalEmails = `# comment
- name: Deny bank
  conditions: { action: { startsWith: bank. } }
  action: deny

- name: Auto-approve internal emails
  conditions:
    action: { equals: "gmail.send" }
    context.recipient: { matches: ".*@mycompany\\\\.com$" }
  action: auto_approve
`;

  it('warns about the unanchored, unbound internal-emails rule, with its name and line', () => {
    assert.deepEqual(warningsOf(internalEmails), [
      {
        code: 'UNANCHORED_MATCHES',
        rule: 'Auto-approve internal emails',
        line: 6,
        message:
          'matches ".*@mycompany\\\\.com$" is not anchored: it holds for any value that contains a match ' +
          '(anchor it as ^…$, and avoid .* inside, or use equals, startsWith or endsWith)',
      },
      {
        code: 'UNBOUND_CONTEXT',
        rule: 'Auto-approve internal emails',
        line: 6,
        message:
          'auto-approves on agent-supplied context.recipient, but its scopeTemplate does not bind ' +
          'actionDetails.recipient (e.g. recipient_pattern: "^…$" or allowed_recipients: […]), so the ' +
          'token can be spent with any recipient',
      },
    ]);
  });

  it('is quiet when the regex anchors and the template binds the field', () => {
    const text = `
- name: Internal emails
  conditions:
    action: { equals: gmail.send }
    context.recipient: { matches: "^[^@,]+@mycompany\\\\.com$" }
  action: auto_approve
  scopeTemplate: { recipient_pattern: "^[^@,]+@mycompany\\\\.com$" }
- name: Listed
  conditions: { context.to: { in: [a, b] }, context.path: { endsWith: .txt } }
  action: auto_approve
  scopeTemplate: { allowed_tos: [a, b], allowed_extensions: [.txt] }
- name: Amounts
  conditions: { context.amount: { lessThan: 10 }, scope.max_amount: { lessThan: 10 } }
  action: auto_approve
  scopeTemplate: { amount_limit: 10 }
`;
    assert.deepEqual(warningsOf(text), []);
  });

  it('binds each field separately, and resource to any constraint checked at use', () => {
    const text = `
- name: Half bound
  conditions: { context.a: { equals: x }, context.b: { equals: y }, resource: { startsWith: "file:" } }
  action: auto_approve
  scopeTemplate: { max_a: 1, max_uses: 3, note: free }
- name: Resource only
  conditions: { resource: { startsWith: "file:" } }
  action: auto_approve
  scopeTemplate: { max_uses: 2 }
`;
    const warnings = warningsOf(text);
    assert.deepEqual(
      warnings.map((w) => [w.rule, w.code, w.message.split(',')[0]]),
      [
        ['Half bound', 'UNBOUND_CONTEXT', 'auto-approves on agent-supplied context.b'],
        ['Resource only', 'UNBOUND_CONTEXT', 'auto-approves on the agent-supplied resource'],
      ],
    );
  });

  it('warns on unanchored regexes only where matching too much is permissive', () => {
    const text = `
- name: Deny search
  conditions: { context.body: { matches: "(?i)drop table" } }
  action: deny
- name: Deny unless
  conditions: { not: { context.ticket: { matches: "OPS-[0-9]+" } } }
  action: deny
- name: Held
  conditions: { any: [{ resource: { matches: "prod" } }, { not: { agent: { matches: "bot" } } }] }
  action: require_approval
`;
    assert.deepEqual(
      warningsOf(text).map((w) => [w.rule, w.code, w.message.split(' is ')[0]]),
      [
        ['Deny unless', 'UNANCHORED_MATCHES', 'matches "OPS-[0-9]+"'],
        ['Held', 'UNANCHORED_MATCHES', 'matches "prod"'],
      ],
    );
  });

  it('does not warn about context in deny or require_approval rules', () => {
    const text = `
- name: Held
  conditions: { context.amount: { greaterThan: 10 } }
  action: require_approval
- name: Denied
  conditions: { context.amount: { greaterThan: 100 } }
  action: deny
`;
    assert.deepEqual(warningsOf(text), []);
  });
});
