import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AgentOtpError } from '@agent-otp/core';
import { run, runtimeFor, tempDir } from './helpers.ts';

const temp = tempDir();
const dataDir = temp.dir;
after(() => temp.remove());
const DAY = 86_400_000;

/** Authenticates a key through the real agent service on the same store: the name, or the code. */
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

async function json(args: string[]) {
  const result = await run([...args, '--json'], dataDir);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test('agents create --expires-in sets an expiry that list shows; set-expiry changes and clears it', async () => {
  const before = Date.now();
  const created = await json(['agents', 'create', '--name', 'temp-bot', '--expires-in', '30d']);
  const [listed] = (await json(['agents', 'list'])).filter((a: { name: string }) => a.name === 'temp-bot');
  const expiresAt = Date.parse(listed.expiresAt);
  assert.ok(expiresAt >= before + 30 * DAY && expiresAt <= Date.now() + 30 * DAY, listed.expiresAt);
  assert.equal(listed.previousKeyPrefix, null);

  const set = await json([
    'agents',
    'set-expiry',
    '--name',
    'temp-bot',
    '--expires-at',
    '2031-01-31T12:00:00Z',
  ]);
  assert.equal(set.expiresAt, '2031-01-31T12:00:00.000Z');
  const human = await run(['agents', 'list'], dataDir);
  assert.match(human.stdout, /EXPIRES/);
  assert.match(human.stdout, /temp-bot .* 2031-01-31T12:00:00\.000Z/);

  const cleared = await json(['agents', 'set-expiry', 'temp-bot', '--never']);
  assert.equal(cleared.expiresAt, null);
  assert.equal(await authenticate(created.apiKey), 'temp-bot');
});

test('an expired key is refused as AGENT_EXPIRED; clearing the expiry lets it in again', async () => {
  const created = await json(['agents', 'create', '--name', 'short-bot', '--expires-in', '1s']);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  assert.equal(await authenticate(created.apiKey), 'AGENT_EXPIRED');
  const list = await run(['agents', 'list'], dataDir);
  assert.match(list.stdout, /short-bot .* expired /);
  await json(['agents', 'set-expiry', '--name', 'short-bot', '--never']);
  assert.equal(await authenticate(created.apiKey), 'short-bot');
});

test('bad expiry input exits 1 with one line naming the mistake', async () => {
  const cases: [string[], RegExp][] = [
    [['agents', 'set-expiry', '--name', 'temp-bot'], /give one of --expires-in, --expires-at or --never/],
    [['agents', 'set-expiry', '--name', 'temp-bot', '--expires-in', '3 weeks'], /unit s, m, h or d/],
    [['agents', 'set-expiry', '--name', 'temp-bot', '--expires-at', '2020-01-01T00:00:00Z'], /in the future/],
    [['agents', 'set-expiry', '--name', 'temp-bot', '--expires-at', '01/02/2030'], /ISO 8601/],
    [['agents', 'set-expiry', '--name', 'temp-bot', '--expires-in', '1d', '--never'], /only one of/],
    [['agents', 'set-expiry', '--name', 'nobody', '--never'], /agent nobody not found/],
  ];
  for (const [args, message] of cases) {
    const result = await run(args, dataDir);
    assert.equal(result.code, 1, args.join(' '));
    assert.match(result.stderr, message);
    assert.equal(result.stderr.split('\n').length, 2, 'one line');
  }
});

test('rotate --grace keeps the old key until revoke-previous-key ends it', async () => {
  const created = await json(['agents', 'create', '--name', 'fleet-bot']);
  const rotate = await run(['agents', 'rotate', '--name', 'fleet-bot', '--grace', '10m', '--json'], dataDir);
  assert.equal(rotate.code, 0, rotate.stderr);
  assert.match(rotate.stderr, new RegExp(`previous key ${created.keyPrefix}… stays valid until`));
  const rotated = JSON.parse(rotate.stdout);
  assert.equal(await authenticate(created.apiKey), 'fleet-bot', 'the old key works in the grace period');
  assert.equal(await authenticate(rotated.apiKey), 'fleet-bot');
  const [listed] = (await json(['agents', 'list'])).filter((a: { name: string }) => a.name === 'fleet-bot');
  assert.equal(listed.previousKeyPrefix, created.keyPrefix);
  const until = Date.parse(listed.previousKeyValidUntil) - Date.now();
  assert.ok(until > 9 * 60_000 && until <= 10 * 60_000, listed.previousKeyValidUntil);

  const revoked = await json(['agents', 'revoke-previous-key', '--name', 'fleet-bot']);
  assert.equal(revoked.previousKeyPrefix, null);
  assert.equal(await authenticate(created.apiKey), 'UNAUTHORIZED');
  assert.equal(await authenticate(rotated.apiKey), 'fleet-bot');
  const again = await run(['agents', 'revoke-previous-key', 'fleet-bot'], dataDir);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /has no previous key/);
});

test('a grace over 24h or in the wrong unit is refused and the key is unchanged', async () => {
  const before = await json(['agents', 'create', '--name', 'strict-bot']);
  for (const grace of ['25h', '2d', '10 minutes']) {
    const result = await run(['agents', 'rotate', '--name', 'strict-bot', '--grace', grace], dataDir);
    assert.equal(result.code, 1, grace);
    assert.match(result.stderr, /grace must be/);
  }
  assert.equal(await authenticate(before.apiKey), 'strict-bot');
});

test('disabling during a grace period kills both keys at once', async () => {
  const created = await json(['agents', 'create', '--name', 'gone-bot']);
  const rotated = await json(['agents', 'rotate', 'gone-bot', '--grace', '1h']);
  await json(['agents', 'disable', 'gone-bot']);
  assert.equal(await authenticate(created.apiKey), 'UNAUTHORIZED');
  assert.equal(await authenticate(rotated.apiKey), 'AGENT_DISABLED');
});

test('users set-role changes a role like the dashboard; the last active admin stays admin', async () => {
  await json(['users', 'create', '--name', 'root', '--role', 'admin']);
  await json(['users', 'create', '--name', 'alice', '--role', 'approver']);
  const promoted = await json(['users', 'set-role', '--name', 'alice', '--role', 'admin']);
  assert.deepEqual([promoted.name, promoted.role, promoted.from], ['alice', 'admin', 'approver']);
  assert.ok(!('passwordHash' in promoted));
  const demoted = await run(['users', 'set-role', '--name', 'root', '--role', 'viewer'], dataDir);
  assert.equal(demoted.code, 0, demoted.stderr);
  assert.match(demoted.stdout, /^role of root \(usr_[\w-]+\) changed from admin to viewer\n$/);
  const last = await run(['users', 'set-role', '--name', 'alice', '--role', 'approver'], dataDir);
  assert.equal(last.code, 1);
  assert.equal(last.stderr, 'agent-otp: alice is the last active admin; make another user admin first\n');
  const bad = await run(['users', 'set-role', '--name', 'alice', '--role', 'owner'], dataDir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Allowed choices are admin, approver, viewer/);

  const runtime = await runtimeFor(dataDir);
  try {
    const changes = await runtime.store.listAudit({ event: 'user.role_changed', limit: 10 });
    assert.equal(changes.length, 2, 'each change audited once, the refusal not');
    assert.equal(
      changes.every((e) => e.actor.type === 'system' && e.actor.id.startsWith('cli:')),
      true,
    );
  } finally {
    await runtime.close();
  }
});
