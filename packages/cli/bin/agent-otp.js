#!/usr/bin/env node
// The agent-otp command. `npm ci` compiles the TypeScript sources of every package to dist/
// (scripts/build.mjs, the root `prepare` script), and the command runs that: no compiler at
// start. It falls back to the sources, through tsx, when there is nothing built (an install with
// --ignore-scripts or without dev dependencies), when the sources were asked for (the
// `agent-otp-source` condition), or when any source file changed since the build started: while
// developing, an edit is never silently ignored in favour of stale output; it is only slower
// until `npm run build`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = fileURLToPath(new URL('../../', import.meta.url));

/** Whether `dir` or anything under it was modified after `time` (a directory changes when a file is added or removed). */
function changedSince(dir, time) {
  let entries;
  try {
    if (statSync(dir).mtimeMs > time) return true;
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? changedSince(path, time) : statSync(path).mtimeMs > time) return true;
  }
  return false;
}

function builtAndCurrent() {
  const conditions = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (conditions.includes('agent-otp-source')) return false;
  let startedAt;
  try {
    startedAt = JSON.parse(readFileSync(join(packages, 'cli/dist/build.json'), 'utf8')).startedAt;
  } catch {
    return false;
  }
  return !readdirSync(packages).some((name) => changedSince(join(packages, name, 'src'), startedAt));
}

let main;
if (builtAndCurrent()) {
  ({ main } = await import('../dist/main.js'));
} else {
  const { register: registerHooks } = await import('node:module');
  const { register } = await import('tsx/esm/api');
  register();
  // Workspace packages resolve to their sources under the `agent-otp-source` condition, as in
  // the tests. Registered after tsx, so it runs first and tsx resolves with the condition added.
  registerHooks(
    `data:text/javascript,${encodeURIComponent(
      "export const resolve = (specifier, context, next) => next(specifier, { ...context, conditions: [...context.conditions, 'agent-otp-source'] });",
    )}`,
  );
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv);
