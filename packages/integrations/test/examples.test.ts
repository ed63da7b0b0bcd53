import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Harness, startHarness } from './helpers.ts';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs an example as a reader would (`npx tsx examples/…`), against a server with the default
 * policies.yaml. When it prints an approval link, a human approves it through the API.
 */
function runExample(
  harness: Harness,
  apiKey: string,
  file: string,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=agent-otp-source', '--import', 'tsx', `examples/${file}`],
      {
        cwd: PACKAGE,
        env: { ...process.env, AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: harness.server.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let approving = false;
    const timer = setTimeout(() => child.kill(), 60_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const id = /Waiting for approval: \S*\/(perm_[A-Za-z0-9_-]+)/.exec(out)?.[1];
      if (id && !approving) {
        approving = true;
        harness.decide(id, 'approve').catch(reject);
      }
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('integration examples run against a server with the default policies', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ policy: undefined });
  });
  after(() => harness.close());

  test('langchain-tool.ts: an internal email is sent, an external one is refused', async () => {
    const { apiKey } = await harness.client();
    const { code, out } = await runExample(harness, apiKey, 'langchain-tool.ts');
    assert.equal(code, 0, out);
    assert.match(out, /\(mailer\) sent "Invoice #123" to billing@mycompany\.com/);
    assert.match(out, /ToolMessage success/);
    assert.match(out, /ToolMessage error: Agent OTP refused "gmail.send" \(PERMISSION_DENIED\)/);
    assert.doesNotMatch(out, /\(mailer\) sent "Invoice #123" to stranger/);
  });

  test('vercel-ai-tool.ts: the transfer waits for a human and runs after the approval', async () => {
    const { apiKey } = await harness.client();
    const { code, out } = await runExample(harness, apiKey, 'vercel-ai-tool.ts');
    assert.equal(code, 0, out);
    assert.match(out, /Waiting for approval: /);
    assert.match(out, /\(bank\) transferred 120 to acme-gmbh/);
  });

  test('openai-agents-tool.ts: the run is interrupted, settled in Agent OTP, and resumed', async () => {
    const { apiKey } = await harness.client();
    const { code, out } = await runExample(harness, apiKey, 'openai-agents-tool.ts');
    assert.equal(code, 0, out);
    assert.match(out, /Waiting for approval: /);
    assert.match(out, /decided in Agent OTP: 1 approved, 0 rejected/);
    assert.match(out, /\(bank\) transferred 120 to acme-gmbh/);
    assert.match(out, /agent: Done: transferred 120 to acme-gmbh/);
  });
});
