import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { AgentOtpError } from '@agent-otp/core';
import { run, runtimeFor, tempDir } from './helpers.ts';

const API_KEY = /^ak_[A-Za-z0-9_-]{43}$/;
const temp = tempDir();
const dataDir = temp.dir;
after(() => temp.remove());

/** Authenticates a key through the real agent service on the same store. */
async function authenticate(apiKey: string): Promise<string> {
  const runtime = await runtimeFor(dataDir);
  try {
    return (await runtime.agents.authenticate(apiKey)).name;
  } catch (error) {
    return error instanceof AgentOtpError ? error.code : String(error);
  } finally {
    await runtime.close();
  }
}

let created: { id: string; name: string; apiKey: string; keyPrefix: string; createdAt: string };

before(async () => {
  const result = await run(['agents', 'create', '--name', 'deploy-bot', '--json'], dataDir);
  assert.equal(result.code, 0, result.stderr);
  created = JSON.parse(result.stdout);
});

test('agents create --json prints the key once, with a warning on stderr', async () => {
  assert.match(created.id, /^agt_/);
  assert.equal(created.name, 'deploy-bot');
  assert.match(created.apiKey, API_KEY);
  assert.ok(created.apiKey.startsWith(created.keyPrefix));
  assert.ok(!Number.isNaN(Date.parse(created.createdAt)));
  assert.equal(await authenticate(created.apiKey), 'deploy-bot');
});

test('a duplicate name exits 1 with one line on stderr', async () => {
  const result = await run(['agents', 'create', '--name', 'deploy-bot'], dataDir);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, 'agent-otp: an agent named "deploy-bot" already exists\n');
});

test('agents list shows the agent without its key (and --data-dir works)', async () => {
  const result = await run(['--data-dir', dataDir, 'agents', 'list', '--json'], null);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(!result.stdout.includes(created.apiKey));
  assert.ok(!result.stdout.includes('keyHash'));
  const list = JSON.parse(result.stdout);
  assert.deepEqual(
    list.map((a: { id: string; name: string; status: string; keyPrefix: string }) => [
      a.id,
      a.name,
      a.status,
      a.keyPrefix,
    ]),
    [[created.id, 'deploy-bot', 'active', created.keyPrefix]],
  );
});

test('rotate prints a new key; the old one stops authenticating', async () => {
  const result = await run(['agents', 'rotate', 'deploy-bot', '--json'], dataDir);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /not shown again/);
  const rotated = JSON.parse(result.stdout);
  assert.equal(rotated.id, created.id);
  assert.match(rotated.apiKey, API_KEY);
  assert.notEqual(rotated.apiKey, created.apiKey);
  assert.equal(await authenticate(created.apiKey), 'UNAUTHORIZED');
  assert.equal(await authenticate(rotated.apiKey), 'deploy-bot');
  created = { ...created, apiKey: rotated.apiKey, keyPrefix: rotated.keyPrefix };
});

test('disable refuses the key; list shows it; enable issues a new key and the old one stays dead', async () => {
  const disabled = await run(['agents', 'disable', created.id], dataDir);
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.equal(
    disabled.stdout,
    `agent deploy-bot (${created.id}) is disabled; 0 unspent token(s) revoked, 0 pending request(s) cancelled\n`,
  );
  assert.equal(await authenticate(created.apiKey), 'AGENT_DISABLED');

  const list = await run(['agents', 'list'], dataDir);
  assert.match(list.stdout, /^ID\s+NAME\s+STATUS\s+KEY PREFIX\s+EXPIRES\s+PREVIOUS KEY\s+CREATED$/m);
  assert.match(
    list.stdout,
    new RegExp(`^${created.id}\\s+deploy-bot\\s+disabled\\s+${created.keyPrefix}\\s`, 'm'),
  );

  // Finding 10: enabling never brings the old key back; it prints a new one, once.
  const enabled = await run(['agents', 'enable', 'deploy-bot', '--json'], dataDir);
  assert.equal(enabled.code, 0, enabled.stderr);
  assert.match(enabled.stderr, /not shown again/);
  const fresh = JSON.parse(enabled.stdout);
  assert.match(fresh.apiKey, API_KEY);
  assert.equal(await authenticate(created.apiKey), 'UNAUTHORIZED');
  assert.equal(await authenticate(fresh.apiKey), 'deploy-bot');
  const again = await run(['agents', 'enable', 'deploy-bot'], dataDir);
  assert.equal(again.code, 1, 'enabling an active agent would silently replace its key');
  assert.match(again.stderr, /already active; rotate its key instead/);
  created = { ...created, apiKey: fresh.apiKey, keyPrefix: fresh.keyPrefix };
});

test('an unknown agent exits 1 naming it', async () => {
  const result = await run(['agents', 'rotate', 'no-such-agent'], dataDir);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, 'agent-otp: agent no-such-agent not found\n');
});

test('the audit log names the CLI user as the actor of each change', async () => {
  const runtime = await runtimeFor(dataDir);
  try {
    const entries = await runtime.store.listAudit({ limit: 100 });
    assert.deepEqual(
      entries.map((e) => e.event),
      ['agent.created', 'agent.key_rotated', 'agent.disabled', 'agent.enabled'],
    );
    // The host acts as the system, naming the OS account; every minted key says who minted it.
    for (const e of entries) {
      assert.equal(e.actor.type, 'system');
      assert.match(e.actor.id, /^cli:.+/);
    }
    for (const e of entries.filter((x) => x.event !== 'agent.disabled')) {
      assert.deepEqual(e.details.mintedBy, e.actor, e.event);
    }
  } finally {
    await runtime.close();
  }
});

test('a read-only command on a missing data directory fails instead of creating it', async () => {
  const missing = `${dataDir}/nowhere`;
  const result = await run(['agents', 'list'], missing);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^agent-otp: no database at .*nowhere\/agent-otp\.db: check --data-dir/);
  assert.equal(existsSync(missing), false);
});
