import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { applyHunks } from '@agent-otp/core';
import { run, runtimeFor, tempDir } from './helpers.ts';

const V1 = `- name: reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
`;
const V2 = V1.replace('file.read', 'file.list');
const V3 = `${V2}- name: rest\n  conditions: {}\n  action: deny\n  priority: -1000\n`;

const temp = tempDir();
const dataDir = join(temp.dir, 'data');
const versions: string[] = [];
after(() => temp.remove());

describe('agent-otp policy history | show | diff', () => {
  before(async () => {
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'policies.yaml'), V1);
    // A server's life: the file at start, a reload of an edit, an edit on the dashboard.
    const runtime = await runtimeFor(dataDir, { asServer: true });
    try {
      versions.push(runtime.policy.current().version);
      writeFileSync(runtime.config.policyFile, V2);
      runtime.policy.reload();
      versions.push(runtime.policy.current().version);
      const { user } = await runtime.users.create(
        { name: 'ada', role: 'admin', password: 'a long password' },
        { type: 'system', id: 'test' },
      );
      const edit = await runtime.policy.replace(V3, { type: 'user', id: user.id });
      assert.ok(edit.ok);
      versions.push(edit.version);
      // Back to the first text: in force again, but no new version.
      await runtime.policy.replace(V1, { type: 'user', id: user.id });
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await runtime.close();
    }
  });

  test('history --json: newest first, who, and the version in force', async () => {
    const result = await run(['policy', 'history', '--json'], dataDir);
    assert.equal(result.code, 0, result.stderr);
    const rows = JSON.parse(result.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => [r.version, r.origin, r.by, r.rules, r.inForce]),
      [
        [versions[2], 'dashboard', 'ada', 2, false],
        [versions[1], 'reload', 'server', 1, false],
        [versions[0], 'start', 'server', 1, true],
      ],
    );
  });

  test('history as a table', async () => {
    const result = await run(['policy', 'history'], dataDir);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^VERSION\s+FIRST IN FORCE\s+ORIGIN\s+BY\s+RULES/);
    assert.match(lines[1] ?? '', new RegExp(`^${versions[2]}\\s.*dashboard\\s+ada\\s+2`));
    assert.match(lines[3] ?? '', new RegExp(`^${versions[0]}\\s.*start\\s+server\\s+1\\s+in force$`));
  });

  test('show --version prints the source byte for byte; without it, the version in force', async () => {
    const shown = await run(['policy', 'show', '--version', versions[1] as string], dataDir);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, V2);
    assert.equal((await run(['policy', 'show'], dataDir)).stdout, V1);
    const json = JSON.parse(
      (await run(['policy', 'show', '--version', versions[2] as string, '--json'], dataDir)).stdout,
    );
    assert.equal(json.source, V3);
    assert.equal(json.origin, 'dashboard');
  });

  test('diff: a version against its predecessor, or any two', async () => {
    const result = await run(['policy', 'diff', '--to', versions[1] as string], dataDir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^--- ${versions[0]}\\n\\+\\+\\+ ${versions[1]}\\n@@ `));
    assert.match(result.stdout, /^- {2}conditions: \{ action: \{ equals: file\.read \} \}$/m);
    assert.match(result.stdout, /^\+ {2}conditions: \{ action: \{ equals: file\.list \} \}$/m);
    const json = JSON.parse(
      (
        await run(
          ['policy', 'diff', '--from', versions[0] as string, '--to', versions[2] as string, '--json'],
          dataDir,
        )
      ).stdout,
    );
    assert.equal(applyHunks(V1, json.hunks), V3);
    // The version in force (V1 again) against the one recorded before it: none, so all added.
    const inForce = JSON.parse((await run(['policy', 'diff', '--json'], dataDir)).stdout);
    assert.deepEqual([inForce.from, inForce.to], [null, versions[0]]);
  });

  test('bad and unknown versions: a clear message and exit 1', async () => {
    const bad = await run(['policy', 'show', '--version', 'v1'], dataDir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /pol_ and 16 hex digits/);
    const unknown = await run(['policy', 'diff', '--to', 'pol_0123456789abcdef'], dataDir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no policy version pol_0123456789abcdef was recorded/);
  });
});
