#!/usr/bin/env node
// Runs every package's tests with node's test runner through tsx. Node 20's `--test` takes no
// globs, so the files are listed here: every `*.test.ts` under packages/*/test.
// Usage: npm test [-- <substring filter>...]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

function findTests(dir) {
  let found = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filters = process.argv.slice(2);
const files = readdirSync('packages')
  .map((pkg) => join('packages', pkg, 'test'))
  .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory())
  .flatMap(findTests)
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// The spec reporter for people; a TAP copy in a temp file to print one summary line at the end.
const tap = join(mkdtempSync(join(tmpdir(), 'agent-otp-tests-')), 'results.tap');
const result = spawnSync(
  process.execPath,
  [
    // Workspace packages that also ship built files (the SDK) resolve to their sources under this
    // condition, so the tests need no build step.
    '--conditions=agent-otp-source',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
const summary = readFileSync(tap, 'utf8');
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(summary)?.[1] ?? 0);
console.log(`\ntests: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
rmSync(dirname(tap), { recursive: true, force: true });
process.exit(result.status ?? 1);
