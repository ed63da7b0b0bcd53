#!/usr/bin/env node
// Compiles every workspace package's src/ to dist/ (run by `prepare`, so `npm ci` builds it):
// the CLI and the server then start from JavaScript instead of compiling TypeScript at every
// start. One output file per source file, same layout, so module identity and paths relative to
// import.meta.url (the dashboard's assets) are those of src/; files that are not TypeScript are
// copied. Imports between files are rewritten from `./x.ts` to `./x.js`; every other import,
// workspace packages and node_modules dependencies alike, is left as written and resolved by
// Node at run time (workspace packages through the `default` condition of their exports map).
// New source files and new dependencies need no change here: the inputs are found by walking src/.
// Tests and the bench run src/ through the `agent-otp-source` condition and never need this.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const started = Date.now();

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // An install without dev dependencies: the command still works, from the sources (slower).
  console.error('build: esbuild is not installed; agent-otp will run from its TypeScript sources');
  process.exit(0);
}

const isSource = (name) => /\.tsx?$/.test(name) && !name.endsWith('.d.ts');

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** Keeps each file its own module: relative `.ts` imports become `.js`, everything else stays. */
const perFile = {
  name: 'per-file',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const local = args.path.startsWith('./') || args.path.startsWith('../');
      return { path: local ? args.path.replace(/\.tsx?$/, '.js') : args.path, external: true };
    });
  },
};

const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const stamp = join(root, 'packages/cli/dist/build.json');
rmSync(stamp, { force: true });
let files = 0;
for (const workspace of workspaces) {
  const src = join(root, workspace, 'src');
  const dist = join(root, workspace, 'dist');
  if (!existsSync(src)) continue;
  const all = walk(src);
  const entryPoints = all.filter(isSource);
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  await esbuild.build({
    entryPoints,
    outdir: dist,
    outbase: src,
    bundle: true,
    plugins: [perFile],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Names and line structure survive, so stack traces stay readable; `--enable-source-maps`
    // maps them back to src/.
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    logLevel: 'warning',
  });
  for (const file of all.filter((name) => !isSource(name))) {
    cpSync(file, join(dist, relative(src, file)));
  }
  files += entryPoints.length;
}
// Written last: the command uses dist/ only when this exists and no source is newer than the
// build's start (packages/cli/bin/agent-otp.js), so an interrupted build or an edit since is
// never run.
writeFileSync(stamp, `${JSON.stringify({ startedAt: started })}\n`);
console.error(`build: ${files} files compiled in ${Date.now() - started} ms`);
