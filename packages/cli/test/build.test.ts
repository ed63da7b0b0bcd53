import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from './helpers.ts';

/**
 * The compiled output that `npm ci` builds (scripts/build.mjs) and the command's choice between
 * it and the sources (bin/agent-otp.js). The test marks the built entry point to see which one
 * ran, and rebuilds at the end so later tests find a clean build.
 */
const build = () => {
  const result = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
};
const help = () => {
  const result = spawnSync(process.execPath, ['packages/cli/bin/agent-otp.js', '--help'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /Usage: agent-otp/);
  return result.stderr;
};
const MAIN = join(ROOT, 'packages/cli/dist/main.js');
const STAMP = join(ROOT, 'packages/cli/dist/build.json');
after(build);

test('every workspace export has its compiled file, next to its source', () => {
  build();
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  let checked = 0;
  for (const workspace of workspaces) {
    const pkg = JSON.parse(readFileSync(join(ROOT, workspace, 'package.json'), 'utf8'));
    for (const target of Object.values(pkg.exports ?? {}) as unknown[]) {
      // A bare path into src/ would make the compiled command load TypeScript: not allowed.
      if (typeof target === 'string') {
        assert.ok(!target.startsWith('./src/'), `${workspace}: ${target} needs agent-otp-source/default`);
        continue;
      }
      if (target === null || typeof target !== 'object' || !('agent-otp-source' in target)) continue;
      const { 'agent-otp-source': source, default: built } = target as Record<string, string | undefined>;
      if (source === undefined || built === undefined) continue; // the SDK: import/require, built by its own prepack too
      assert.ok(existsSync(join(ROOT, workspace, source)), `${workspace}: ${source}`);
      assert.ok(existsSync(join(ROOT, workspace, built)), `${workspace}: ${built} was not built`);
      checked++;
    }
  }
  assert.ok(checked >= 6, `only ${checked} exports checked`);
  // Files that are not TypeScript come along, at the same place relative to the code.
  assert.ok(existsSync(join(ROOT, 'packages/dashboard/dist/assets/app.css')));
});

test('the command runs the build, and the sources once one changed since the build', () => {
  build();
  appendFileSync(MAIN, "\nprocess.stderr.write('ran dist\\n');\n");
  assert.match(help(), /ran dist/);
  // A build that started before every source's last change: some source is newer.
  writeFileSync(STAMP, `${JSON.stringify({ startedAt: 0 })}\n`);
  assert.doesNotMatch(help(), /ran dist/);
});

test('the command runs the sources when nothing was built', () => {
  build();
  appendFileSync(MAIN, "\nprocess.stderr.write('ran dist\\n');\n");
  writeFileSync(STAMP, 'not json');
  assert.doesNotMatch(help(), /ran dist/);
});
