import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { extractBlocks, ROOT } from './docs-examples/blocks.ts';
import { commands, unrunnable } from './docs-examples/shell.ts';

/** How the docs examples test reads fences and decides what it can run (docs-examples.test.ts). */
describe('docs examples: fences and commands', () => {
  it('reads the language, the no-test reason and the file name from the info string', () => {
    const dir = mkdtempSync(join(ROOT, 'packages/server/test/.docs-fixture-'));
    try {
      const file = join(dir, 'x.md');
      writeFileSync(
        file,
        [
          '```sh no-test: needs Docker',
          'docker compose up',
          '```',
          '1. In a list:',
          '',
          '   ```yaml file=cases.yaml',
          '   - name: a',
          '   ```',
          '```',
          'plain',
          '```',
        ].join('\n'),
      );
      const blocks = extractBlocks(relative(ROOT, file));
      assert.deepEqual(
        blocks.map((b) => [b.lang, b.noTest, b.fileName, b.code, b.line]),
        [
          ['sh', 'needs Docker', null, 'docker compose up', 1],
          ['yaml', null, 'cases.yaml', '- name: a', 6],
          ['', null, null, 'plain', 9],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs agent-otp and curl commands, takes `npm start` as the running server, refuses the rest', () => {
    const block =
      'KEY=ak_…\ncurl -s -X POST localhost:8787/x \\\n  -H "a: b"   # trailing\n# comment only\nnpm start';
    assert.deepEqual(commands(block), [
      'KEY=ak_…',
      'curl -s -X POST localhost:8787/x -H "a: b"   # trailing',
      'npm start',
    ]);
    for (const ok of [
      'npx agent-otp agents list',
      'agent-otp policy check p.yaml',
      'curl -s x',
      'export T=uat_…',
      'npm start',
      'npm ci && npm start',
    ]) {
      assert.equal(unrunnable(ok), null, ok);
    }
    for (const refused of [
      'docker compose up',
      'npx tsx x.ts',
      'AGENT_OTP_KEY=ak_… npx tsx x.ts',
      'npx agent-otp serve &',
      'kubectl apply -f x',
    ]) {
      assert.ok(unrunnable(refused), refused);
    }
  });
});
