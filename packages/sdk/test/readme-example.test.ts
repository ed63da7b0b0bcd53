import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AgentOTPClient } from '../src/index.ts';
import { startHarness } from './helpers.ts';

// The README's SDK example must run unchanged against a local server. This runs
// examples/readme-example.ts as its own process, as a user would, against a real server.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLE = 'examples/readme-example.ts';

const AUTO_APPROVE_EMAIL = `
- name: "Auto-approve invoice emails"
  conditions:
    action: { equals: "gmail.send" }
    resource: { startsWith: "email:" }
  action: auto_approve
  scopeTemplate: { max_emails: 1 }
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the example; `onStdout` sees output as it arrives, so a test can react to it. */
function runExample(env: Record<string, string>, onStdout: (text: string) => void = () => {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=agent-otp-source', '--import', 'tsx', EXAMPLE], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('the README example sends the email and spends the token', async () => {
  const harness = await startHarness({ policy: AUTO_APPROVE_EMAIL });
  try {
    const { apiKey } = await harness.server.createAgent('invoice-bot');
    const run = await runExample({ AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: harness.server.url });
    assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /sendEmail: sent "Invoice #123" to client@example\.com/);
    assert.doesNotMatch(run.stdout + run.stderr, /otp_/, 'the token must not be printed');

    // What the server recorded for this agent: one permission, its single use spent.
    const otp = new AgentOTPClient({ apiKey, baseUrl: harness.server.url });
    const { data } = await otp.listPermissions();
    assert.equal(data.length, 1);
    assert.equal(data[0]?.action, 'gmail.send');
    assert.equal(data[0]?.status, 'used');
    assert.equal(data[0]?.usesRemaining, 0);
  } finally {
    await harness.close();
  }
});

test('when a human must approve, the example prints the approval link and waits', async () => {
  const harness = await startHarness({
    policy: AUTO_APPROVE_EMAIL.replace('action: auto_approve', 'action: require_approval'),
  });
  try {
    const { apiKey } = await harness.server.createAgent('invoice-bot');
    let expired = false;
    const run = await runExample({ AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: harness.server.url }, (out) => {
      // Nobody approves: move the server's clock past the approval deadline once it waits.
      if (!expired && out.includes('Waiting for approval:')) {
        expired = true;
        harness.clock.advance(16 * 60_000);
      }
    });
    assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /Waiting for approval: http:\/\/localhost:\d+\/requests\/perm_/);
    assert.doesNotMatch(run.stdout, /sendEmail/, 'no email without approval');
    const otp = new AgentOTPClient({ apiKey, baseUrl: harness.server.url });
    assert.equal((await otp.listPermissions()).data[0]?.status, 'expired');
  } finally {
    await harness.close();
  }
});

test('when a human approves while the example waits, it sends the email and spends the token', async () => {
  const harness = await startHarness({
    policy: AUTO_APPROVE_EMAIL.replace('action: auto_approve', 'action: require_approval'),
  });
  try {
    const { apiKey } = await harness.server.createAgent('invoice-bot');
    let approval: ReturnType<typeof harness.decide> | undefined;
    const run = await runExample({ AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: harness.server.url }, (out) => {
      // The human opens the printed link and approves, over the approval API.
      const id = /Waiting for approval: \S+\/requests\/(perm_[\w-]+)/.exec(out)?.[1];
      if (id && !approval) approval = harness.decide(id, 'approve');
    });
    assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    assert.ok(approval, `the example never printed the approval link\n${run.stdout}`);
    assert.equal((await approval).body.data?.outcome, 'approved');
    assert.match(run.stdout, /sendEmail: sent "Invoice #123" to client@example\.com/);
    assert.doesNotMatch(run.stdout + run.stderr, /otp_/, 'the token must not be printed');
    const otp = new AgentOTPClient({ apiKey, baseUrl: harness.server.url });
    assert.equal((await otp.listPermissions()).data[0]?.status, 'used');
  } finally {
    await harness.close();
  }
});
