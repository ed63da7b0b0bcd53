#!/usr/bin/env node
// Builds the publishable package into dist/: one ESM and one CommonJS bundle (esbuild) and the
// type declarations (tsc), with a CommonJS copy of them so `require` users get types that match.
// The monorepo itself never needs this: it imports src/ through the `agent-otp-source` condition.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

// platform `neutral`: no Node built-ins get resolved, so the bundles run on Node 18+, Bun, Deno
// and edge runtimes alike; a `node:` import slipping into src/ fails the build here.
const common = {
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  platform: 'neutral',
  target: 'es2022',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};
await build({ ...common, format: 'esm', outfile: join(dist, 'index.js') });
await build({ ...common, format: 'cjs', outfile: join(dist, 'index.cjs') });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

// src/ imports its siblings as `./x.ts`; the declarations must name the files that ship.
const relative = /((?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]+)\.ts(['"])/g;
for (const name of readdirSync(dist).filter((file) => file.endsWith('.d.ts'))) {
  const text = readFileSync(join(dist, name), 'utf8');
  writeFileSync(join(dist, name), text.replace(relative, '$1.js$2'));
  writeFileSync(join(dist, name.replace(/\.d\.ts$/, '.d.cts')), text.replace(relative, '$1.cjs$2'));
}
