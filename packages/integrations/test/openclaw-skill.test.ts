import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Harness, signal, startHarness } from './helpers.ts';

const SKILL = fileURLToPath(new URL('../../../integrations/openclaw/agent-otp/', import.meta.url));
const HELPER = `${SKILL}otp.mjs`;

interface Ran {
  code: number | null;
  out: Record<string, unknown> & { error?: { code?: string; message?: string } };
  stderr: string;
}

/**
 * Runs the helper as OpenClaw would: plain `node`, the key and URL in the environment.
 * `onStderr` sees stderr as it arrives (the approval link comes while the helper waits).
 */
function helper(
  env: Record<string, string>,
  args: string[],
  onStderr?: (text: string) => void,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HELPER, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, out: JSON.parse(stdout), stderr });
      } catch {
        reject(new Error(`helper printed no JSON: ${stdout}${stderr}`));
      }
    });
  });
}

describe('OpenClaw skill: otp.mjs against a real server', () => {
  let harness: Harness;
  let env: Record<string, string>;
  before(async () => {
    harness = await startHarness();
    const { apiKey } = await harness.client();
    env = { AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: harness.server.url };
  });
  after(() => harness.close());

  test('SKILL.md has the front matter OpenClaw reads and calls the helper', () => {
    const skill = readFileSync(`${SKILL}SKILL.md`, 'utf8');
    const front = /^---\n([\s\S]*?)\n---\n/.exec(skill)?.[1] ?? '';
    assert.match(front, /^name: agent-otp$/m);
    assert.match(front, /^description: .*permission.*/m);
    const metadata = /^metadata: (.*)$/m.exec(front)?.[1] ?? '';
    assert.deepEqual(JSON.parse(metadata).openclaw.requires.env, ['AGENT_OTP_KEY']);
    assert.match(skill, /node \{baseDir\}\/otp\.mjs request/);
    assert.match(skill, /node \{baseDir\}\/otp\.mjs use/);
  });

  test('an auto-approved request prints the token; use spends it once, a second use is refused', async () => {
    const asked = await helper(env, [
      'request',
      '--action',
      'mail.send',
      '--resource',
      'email:bob@example.com',
    ]);
    assert.equal(asked.code, 0);
    assert.equal(asked.out.status, 'approved');
    assert.match(String(asked.out.token), /^otp_/);
    const spend = ['use', '--id', String(asked.out.id), '--token', String(asked.out.token)];
    const details = ['--details', '{"subject": "Invoice 42"}'];
    const used = await helper(env, [...spend, ...details]);
    assert.equal(used.code, 0);
    assert.equal(used.out.success, true);
    const again = await helper(env, [...spend, ...details]);
    assert.equal(again.code, 2);
    assert.equal(again.out.error?.code, 'TOKEN_USED');
  });

  test('a denied request exits 2 with the reason and no token', async () => {
    const asked = await helper(env, ['request', '--action', 'files.delete', '--resource', 'file:/tmp/x']);
    assert.equal(asked.code, 2);
    assert.equal(asked.out.status, 'denied');
    assert.equal(asked.out.token, undefined);
    assert.match(String(asked.out.reason), /Never delete files/);
  });

  test('a request needing approval prints the link, waits, and returns the token after the tap', async () => {
    const link = signal<string>();
    const waiting = helper(
      env,
      ['request', '--action', 'bank.transfer', '--scope', '{"max_amount": 50}', '--wait', '30'],
      (text) => {
        const match = /Waiting for a human to approve: (\S+)/.exec(text);
        if (match?.[1]) link.resolve(match[1]);
      },
    );
    const id = /perm_[A-Za-z0-9_-]+/.exec(await link.promise)?.[0];
    assert.ok(id, 'the approval link names the request');
    assert.equal(await harness.decide(id, 'approve'), 200);
    const asked = await waiting;
    assert.equal(asked.code, 0);
    assert.equal(asked.out.status, 'approved');
    assert.deepEqual(asked.out.scope, { max_amount: 50 });
    const spend = ['use', '--id', id, '--token', String(asked.out.token)];
    const tooMuch = await helper(env, [...spend, '--details', '{"amount": 900}']);
    assert.equal(tooMuch.code, 2);
    assert.equal(tooMuch.out.error?.code, 'SCOPE_VIOLATION');
    const ok = await helper(env, [...spend, '--details', '{"amount": 45}']);
    assert.equal(ok.code, 0);
    assert.equal(ok.out.status, 'used');
  });

  test('a request still pending when the wait ends exits 3 with the link, and can be cancelled', async () => {
    const asked = await helper(env, ['request', '--action', 'bank.transfer', '--wait', '1']);
    assert.equal(asked.code, 3);
    assert.equal(asked.out.status, 'pending');
    assert.match(String(asked.out.approvalUrl), /^http/);
    const cancelled = await helper(env, ['cancel', '--id', String(asked.out.id), '--reason', 'not needed']);
    assert.equal(cancelled.code, 0);
    assert.equal(cancelled.out.status, 'cancelled');
    const read = await helper(env, ['status', '--id', String(asked.out.id)]);
    assert.equal(read.out.status, 'cancelled');
  });

  test('bad input and a missing key fail with exit 1 and a clear message, asking nothing', async () => {
    const noKey = await helper({ AGENT_OTP_URL: harness.server.url }, ['request', '--action', 'mail.send']);
    assert.equal(noKey.code, 1);
    assert.match(String(noKey.out.error?.message), /AGENT_OTP_KEY/);
    const badScope = await helper(env, ['request', '--action', 'mail.send', '--scope', '[1']);
    assert.equal(badScope.code, 1);
    assert.match(String(badScope.out.error?.message), /--scope must be a JSON object/);
    const wrongKey = await helper({ ...env, AGENT_OTP_KEY: 'ak_wrong' }, [
      'request',
      '--action',
      'mail.send',
    ]);
    assert.equal(wrongKey.code, 1);
    assert.equal(wrongKey.out.error?.code, 'UNAUTHORIZED');
    const unknown = await helper(env, ['launch']);
    assert.equal(unknown.code, 1);
    assert.match(String(unknown.out.error?.message), /usage: otp\.mjs/);
  });
});
