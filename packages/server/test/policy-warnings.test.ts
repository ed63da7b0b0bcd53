import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { createTestRuntime } from './helpers.ts';

const WARNED = `
- name: Internal emails
  conditions:
    action: { equals: gmail.send }
    context.recipient: { matches: "@mycompany\\\\.com$" }
  action: auto_approve
`;

it('finding 4: the server logs the warnings of a policy it loads or reloads, and still loads it', async () => {
  const t = await createTestRuntime({ policy: WARNED });
  try {
    const warnings = () =>
      t
        .logs()
        .split('\n')
        .filter((line) => line.includes('policy warning'))
        .map(
          (line) =>
            JSON.parse(line) as { level: number; rule: string; line: number; code: string; msg: string },
        );
    assert.deepEqual(
      warnings().map((w) => [w.level, w.rule, w.line, w.code]),
      [
        [40, 'Internal emails', 2, 'UNANCHORED_MATCHES'],
        [40, 'Internal emails', 2, 'UNBOUND_CONTEXT'],
      ],
    );
    assert.match(
      warnings()[0]?.msg ?? '',
      /^policy warning: rule "Internal emails" \(line 2\): matches "@my/,
    );
    assert.equal(t.runtime.policy.current().rules.length, 1);

    const file = join(t.dataDir, 'policies.yaml');
    writeFileSync(file, `${WARNED}\n- name: Other\n  conditions: {}\n  action: deny\n`);
    assert.equal(t.runtime.policy.reload().ok, true);
    assert.equal(warnings().length, 4, 'logged again for the new version');
  } finally {
    await t.close();
  }
});
