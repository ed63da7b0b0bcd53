import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadPolicy, signWebhookBody } from '@agent-otp/core';
import { parse as parseYaml } from 'yaml';
import { startTestServer, type TestServer } from '../src/testing.ts';
import { type CodeBlock, docFiles, extractBlocks, ROOT, where } from './docs-examples/blocks.ts';
import { commands, runShellBlock, type ShellState, unrunnable } from './docs-examples/shell.ts';
import { typecheck } from './docs-examples/typecheck.ts';

/**
 * Every code example in README.md, examples/README.md and docs/*.md runs here, so the docs
 * cannot drift from the code: policies load through the real loader, shell commands run against
 * a real server and the real CLI, TypeScript typechecks against the SDK, the signature checkers
 * verify real signatures. A block this machine cannot run says why in its fence
 * (```bash no-test: needs Docker); any other block the test cannot classify fails it.
 */
describe('the docs examples', { timeout: 120_000 }, () => {
  let server: TestServer;
  let runner: ChildProcess;
  let work: string;
  let state: ShellState;
  const ran = new Map<string, number>();
  const skipped: string[] = [];
  let shellCommands = 0;
  const count = (lang: string) => ran.set(lang, (ran.get(lang) ?? 0) + 1);

  before(async () => {
    // SQLite in the data directory, whatever store the other tests use: the CLI runner opens it too.
    server = await startTestServer({ env: { DATABASE_URL: '' } });
    work = mkdtempSync(join(tmpdir(), 'agent-otp-docs-work-'));
    const host = new URL(server.url).host;
    runner = spawn(
      process.execPath,
      [
        '--conditions=agent-otp-source',
        '--import',
        'tsx',
        join(import.meta.dirname, 'docs-examples/cli-runner.ts'),
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          AGENT_OTP_DATA_DIR: server.dataDir,
          AGENT_OTP_URL: server.url,
          AGENT_OTP_LOG_LEVEL: 'silent',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    // The runner prints its port once it listens.
    const [port] = (await once(
      createInterface({ input: runner.stdout as NodeJS.ReadableStream }),
      'line',
    )) as [string];
    state = {
      host,
      cliUrl: `http://127.0.0.1:${port}/`,
      cwd: work,
      dataDir: server.dataDir,
      seen: new Map(),
      assignments: [],
    };
  });

  after(async () => {
    runner?.kill();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
    const summary = [...ran].map(([lang, n]) => `${lang} ${n}`).join(', ');
    console.log(
      `docs examples run: ${summary} (${shellCommands} shell commands); marked no-test: ${skipped.length}`,
    );
    for (const reason of skipped) console.log(`  no-test ${reason}`);
  });

  async function runBlock(block: CodeBlock) {
    if (block.noTest) {
      skipped.push(`${where(block)}: ${block.noTest}`);
      return;
    }
    switch (block.lang) {
      case 'yaml':
        if (block.fileName && !block.fileName.startsWith('policies')) parseYaml(block.code);
        else loadPolicy(block.code, where(block));
        return count('yaml');
      case 'json':
        JSON.parse(block.code);
        return count('json');
      case 'ts':
        await checkTypeScript(block);
        return count('ts');
      case 'js':
        await checkVerifierJs(block);
        return count('js');
      case 'python':
        await checkVerifierPython(block);
        return count('python');
      case 'sh':
      case 'bash': {
        const refused = commands(block.code).map(unrunnable).filter(Boolean);
        if (refused.length > 0) throw new Error(`cannot run (${refused.join('; ')}); mark it no-test: <why>`);
        shellCommands += await runShellBlock(block.code, state);
        return count('sh');
      }
      default:
        throw new Error(`no way to run this language; give the fence a language or mark it no-test: <why>`);
    }
  }

  // In reading order, one file after another, so a command can use what an earlier one created.
  for (const file of docFiles()) {
    it(`runs every example of ${file}`, async () => {
      const blocks = extractBlocks(file);
      // A file a command reads may be shown after the command (policies.md's cases.yaml).
      for (const block of blocks.filter((b) => b.fileName)) {
        writeFileSync(join(work, block.fileName as string), `${block.code}\n`);
      }
      for (const block of blocks) {
        try {
          await runBlock(block);
        } catch (error) {
          throw new Error(`${where(block)}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    });
  }

  it('ran blocks of every kind the docs hold', () => {
    for (const lang of ['yaml', 'json', 'ts', 'js', 'python', 'sh'])
      assert.ok((ran.get(lang) ?? 0) > 0, lang);
  });
});

/**
 * A TypeScript example is either the code of a file under examples/ (which `npm run typecheck`
 * checks and a test runs: examples/README.md says which), or typechecked here against the SDK.
 */
async function checkTypeScript(block: CodeBlock) {
  const lines = block.code.split('\n').filter((line) => line.trim() !== '');
  for (const name of readdirSync(join(ROOT, 'examples')).filter((n) => n.endsWith('.ts'))) {
    const example = readFileSync(join(ROOT, 'examples', name), 'utf8');
    // The example's constructor adds one line, `baseUrl`, so the test can point it at any port.
    const missing = lines.filter((line) => !example.includes(line) && !line.includes('new AgentOTPClient'));
    if (missing.length === 0 && example.includes('apiKey: process.env.AGENT_OTP_KEY')) return;
  }
  const declared =
    'declare function sendEmail(message: { to: string; subject: string; otpToken: string }): Promise<void>;';
  assert.deepEqual(typecheck(`${block.code}\n${declared}\n`), [], 'typechecks');
}

const SECRET = 'whsec_docs_example_secret';
const BODY = '{"id":"evt_1","type":"permission.approved","data":{}}';
const signature = (at: number, body = BODY) => signWebhookBody(SECRET, at, body);

/** The Node verifier of docs/webhooks.md accepts the server's signature and nothing else. */
async function checkVerifierJs(block: CodeBlock) {
  const dir = mkdtempSync(join(tmpdir(), 'agent-otp-docs-js-'));
  try {
    writeFileSync(join(dir, 'verify.mjs'), block.code);
    const module = (await import(pathToFileURL(join(dir, 'verify.mjs')).href)) as Record<
      string,
      (...args: unknown[]) => boolean
    >;
    const verify = Object.values(module)[0] as (...args: unknown[]) => boolean;
    const now = Math.floor(Date.now() / 1000);
    assert.equal(verify(SECRET, signature(now), BODY), true, 'a fresh signature verifies');
    assert.equal(verify(SECRET, signature(now), `${BODY} `), false, 'a changed body does not');
    assert.equal(verify(SECRET, signature(now - 3600), BODY), false, 'an old signature does not');
    assert.equal(verify('whsec_other', signature(now), BODY), false, 'another secret does not');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Python verifier of docs/webhooks.md, run by python3 on the server's signatures. */
async function checkVerifierPython(block: CodeBlock) {
  const now = Math.floor(Date.now() / 1000);
  const name = /^def (\w+)/m.exec(block.code)?.[1];
  assert.ok(name, 'the block defines a function');
  const script = `${block.code}
import json, sys
cases = json.loads(sys.argv[1])
print(json.dumps([${name}(c["secret"], c["header"], c["body"].encode()) for c in cases]))
`;
  const cases = [
    { secret: SECRET, header: signature(now), body: BODY },
    { secret: SECRET, header: signature(now), body: `${BODY} ` },
    { secret: SECRET, header: signature(now - 3600), body: BODY },
    { secret: 'whsec_other', header: signature(now), body: BODY },
  ];
  const output = await new Promise<string>((resolve, reject) =>
    execFile('python3', ['-c', script, JSON.stringify(cases)], (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  assert.deepEqual(JSON.parse(output), [true, false, false, false]);
}
