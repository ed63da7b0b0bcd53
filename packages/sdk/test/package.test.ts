import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { AgentOTPClient } from '../src/index.ts';
import { startHarness } from './helpers.ts';

// The SDK as a user gets it from npm: `npm pack` (which builds dist/ first), the tarball installed
// offline into an empty project outside the repository, and the README's examples run there with
// plain `node` — no tsx, no workspace, no export condition — against a real server.

const SDK = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(join(SDK, 'README.md'), 'utf8');
const NAME = '@orrisai/agent-otp-sdk';

const POLICY = `
- name: "Invoice emails"
  conditions:
    action: { equals: "gmail.send" }
  action: auto_approve
  scopeTemplate: { max_emails: 1 }
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

/** The code block the README marks with `<!-- name -->`: the test runs what users copy. */
function readmeExample(name: string): string {
  const code = new RegExp(`<!-- ${name.replace('.', '\\.')} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(
    README,
  )?.[1];
  assert.ok(code, `README.md has no example marked <!-- ${name} -->`);
  return code;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end. The npm_* variables of an outer `npm test` are dropped, so the
 * inner npm sees the temporary project only, not the workspace it was started from.
 */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; onStdout?: (all: string) => void },
): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...env, ...options.env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(result: Run, what: string): Run {
  assert.equal(result.code, 0, `${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

let work: string;
let project: string;
let tarball: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'agent-otp-sdk-pack-'));
  ok(await run('npm', ['pack', '--pack-destination', work], { cwd: SDK }), 'npm pack');
  const packed = readdirSync(work).filter((file) => file.endsWith('.tgz'));
  assert.equal(packed.length, 1, `one tarball expected, found ${packed.join(', ')}`);
  tarball = join(work, packed[0] as string);
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
  );
  const install = ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball];
  ok(await run('npm', install, { cwd: project }), 'npm install');
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the built bundles, their declarations, README and LICENSE, and nothing else', async () => {
  const listing = ok(await run('tar', ['-tzf', tarball], { cwd: work }), 'tar')
    .stdout.trim()
    .split('\n');
  for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
    assert.ok(listing.includes(`package/${file}`), `${file} missing from ${listing.join(', ')}`);
  }
  const stray = listing.filter(
    (file) => !/^package\/(dist\/[\w.-]+|README\.md|LICENSE|package\.json)$/.test(file),
  );
  assert.deepEqual(stray, [], 'sources, tests and build scripts stay out of the package');

  const manifest = JSON.parse(readFileSync(join(project, 'node_modules', NAME, 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
  assert.deepEqual(readdirSync(join(project, 'node_modules')).sort(), ['.package-lock.json', '@orrisai']);
});

test('the README ES module example runs with plain node from the installed package', async () => {
  const harness = await startHarness({ policy: POLICY });
  try {
    const { apiKey } = await harness.server.createAgent('esm-user');
    writeFileSync(join(project, 'example.mjs'), readmeExample('example.mjs'));
    const env = { AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: harness.server.url };
    const result = ok(await run(process.execPath, ['example.mjs'], { cwd: project, env }), 'example.mjs');
    assert.match(result.stdout, /sent; permission perm_\S+ is now used/);

    const otp = new AgentOTPClient({ apiKey, baseUrl: harness.server.url });
    const { data } = await otp.listPermissions();
    assert.deepEqual(
      data.map((p) => [p.action, p.status]),
      [['gmail.send', 'used']],
    );
  } finally {
    await harness.close();
  }
});

test('the README CommonJS example runs with require and waits for a human approval', async () => {
  const harness = await startHarness({ policy: POLICY.replace('auto_approve', 'require_approval') });
  try {
    const { apiKey } = await harness.server.createAgent('cjs-user');
    writeFileSync(join(project, 'example.cjs'), readmeExample('example.cjs'));
    let approval: ReturnType<typeof harness.decide> | undefined;
    const env = { AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: harness.server.url };
    const result = await run(process.execPath, ['example.cjs'], {
      cwd: project,
      env,
      // The human approves once the example says it waits, as someone opening the link would.
      onStdout: (out) => {
        const id = /Waiting for approval: \S+\/requests\/(perm_[\w-]+)/.exec(out)?.[1];
        if (id && !approval) approval = harness.decide(id, 'approve');
      },
    });
    ok(result, 'example.cjs');
    assert.ok(approval, `the example never printed the approval link\n${result.stdout}`);
    assert.equal((await approval).body.data?.outcome, 'approved');
    assert.match(result.stdout, /sent; permission perm_\S+ is now used/);
  } finally {
    await harness.close();
  }
});

test('the installed declarations type-check for import and for require', async () => {
  // Each file uses the types for real and holds one deliberate mistake the types must catch.
  const check = `
    const otp = new AgentOTPClient({ apiKey: 'ak_x', baseUrl: 'http://localhost:8787' });
    export async function send(): Promise<string> {
      const result: PermissionResult = await otp.requestPermission({ action: 'gmail.send', scope: { max_emails: 1 } });
      if (result.status === 'approved') return (await otp.useToken(result.id, result.token)).status;
      // @ts-expect-error a request needs an action string
      await otp.requestPermission({ action: 42 });
      return new ScopeViolationError('SCOPE_VIOLATION', 'no', { status: 403 }).constraint ?? '';
    }
  `;
  const imports = `import { AgentOTPClient, ScopeViolationError, type PermissionResult } from '${NAME}';`;
  writeFileSync(join(project, 'check.mts'), imports + check);
  writeFileSync(join(project, 'check.cts'), imports + check);
  const tsconfig = {
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2022', 'dom'],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
    },
    files: ['check.mts', 'check.cts'],
  };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const traced = ok(
    await run(process.execPath, [tsc, '-p', '.', '--traceResolution'], { cwd: project }),
    'tsc',
  );
  // The import resolves to the ESM declarations, the require to the CommonJS ones.
  assert.match(
    traced.stdout,
    /Module name '@orrisai\/agent-otp-sdk' was successfully resolved to '[^']*\/dist\/index\.d\.ts'/,
  );
  assert.match(
    traced.stdout,
    /Module name '@orrisai\/agent-otp-sdk' was successfully resolved to '[^']*\/dist\/index\.d\.cts'/,
  );
});

test('the bundle needs only web-standard globals: no process, Buffer or require, as on an edge runtime', async () => {
  const harness = await startHarness({ policy: POLICY });
  try {
    const { apiKey } = await harness.server.createAgent('edge-user');
    const bundle = readFileSync(join(project, 'node_modules', NAME, 'dist', 'index.cjs'), 'utf8');
    // A fresh global scope holding what the web platform has and nothing of Node's.
    const web = {
      fetch,
      Headers,
      Request,
      Response,
      URL,
      URLSearchParams,
      AbortController,
      AbortSignal,
      DOMException,
      TextDecoder,
      TextEncoder,
      ReadableStream,
      setTimeout,
      clearTimeout,
      console,
      // The errors fetch throws come from this realm; `instanceof` in the bundle must see them.
      TypeError,
      Error,
      module: { exports: {} as Record<string, unknown> },
    };
    runInNewContext(`(function (module, exports) {${bundle}\n})(module, module.exports);`, web);
    const sdk = web.module.exports as typeof import('../src/index.ts');
    const otp = new sdk.AgentOTPClient({ apiKey, baseUrl: harness.server.url });
    const permission = await otp.requestPermission({ action: 'gmail.send', scope: { max_emails: 1 } });
    assert.equal(permission.status, 'approved');
    if (permission.status !== 'approved') return;
    assert.equal((await otp.useToken(permission.id, permission.token)).status, 'used');
    assert.equal((await otp.getPermission(permission.id)).status, 'used');
  } finally {
    await harness.close();
  }
});
