import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AgentOtpError } from '@agent-otp/core';
import { run, runtimeFor, tempDir } from './helpers.ts';

const temp = tempDir();
const dataDir = temp.dir;
after(() => temp.remove());
let alicePassword = '';

/** Logs in through the real user service on the same store: the role, or the error code. */
async function login(name: string, password: string): Promise<string> {
  const runtime = await runtimeFor(dataDir);
  try {
    return (await runtime.users.login(name, password)).user.role;
  } catch (error) {
    return error instanceof AgentOtpError ? error.code : String(error);
  } finally {
    await runtime.close();
  }
}

/** Whether a personal token authenticates, through the real user service. */
async function tokenUser(token: string): Promise<string | null> {
  const runtime = await runtimeFor(dataDir);
  try {
    return (await runtime.users.authenticateToken(token))?.name ?? null;
  } finally {
    await runtime.close();
  }
}

test('users create without a password prints a generated one once, with a warning', async () => {
  const result = await run(['users', 'create', '--name', 'alice', '--role', 'approver', '--json'], dataDir);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, 'Store this password now: it is not shown again.\n');
  const created = JSON.parse(result.stdout);
  assert.match(created.id, /^usr_/);
  assert.deepEqual([created.name, created.role, created.status], ['alice', 'approver', 'active']);
  assert.ok(!('passwordHash' in created));
  assert.equal(typeof created.generatedPassword, 'string');
  assert.ok(created.generatedPassword.length >= 12);
  alicePassword = created.generatedPassword;
  assert.equal(await login('alice', alicePassword), 'approver');
});

test('a duplicate name exits 1 with one line on stderr', async () => {
  const result = await run(['users', 'create', '--name', 'alice', '--role', 'viewer'], dataDir);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, 'agent-otp: a user named "alice" already exists\n');
});

test('--password-stdin reads the first line; nothing is generated or printed', async () => {
  const password = 'correct horse battery staple';
  const result = await run(
    ['users', 'create', '--name', 'root', '--role', 'admin', '--password-stdin'],
    dataDir,
    {},
    `${password}\r\nignored second line\n`,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^created user root \(usr_[\w-]+\), role admin\n$/);
  assert.equal(result.stderr, '');
  assert.equal(await login('root', password), 'admin');
});

test('token create prints a uat_ token once; it authenticates as the user', async () => {
  const result = await run(
    ['users', 'token', 'create', '--name', 'alice', '--label', 'laptop', '--json'],
    dataDir,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /not shown again/);
  const created = JSON.parse(result.stdout);
  assert.match(created.token, /^uat_[A-Za-z0-9_-]{43}$/);
  assert.match(created.id, /^utk_/);
  assert.equal(created.label, 'laptop');
  assert.equal(created.user.name, 'alice');
  assert.equal(await tokenUser(created.token), 'alice');

  const revoked = await run(['users', 'token', 'revoke', created.id], dataDir);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(revoked.stdout, `token laptop (${created.id}) is revoked\n`);
  assert.equal(await tokenUser(created.token), null);

  const list = await run(['users', 'token', 'list', '--name', 'alice', '--json'], dataDir);
  assert.equal(list.code, 0, list.stderr);
  assert.ok(!list.stdout.includes(created.token) && !list.stdout.includes('Hash'));
  const [listed, ...rest] = JSON.parse(list.stdout);
  assert.deepEqual(rest, []);
  assert.equal(listed.id, created.id);
  assert.equal(listed.label, 'laptop');
  assert.ok(!Number.isNaN(Date.parse(listed.revokedAt)));

  // Finding 7: the host may mint for a named user, and the audit says precisely who did.
  const runtime = await runtimeFor(dataDir);
  try {
    const [entry] = await runtime.store.listAudit({ event: 'user.token_created', limit: 10 });
    assert.equal(entry?.actor.type, 'system');
    assert.match(entry?.actor.id ?? '', /^cli:.+/);
    assert.deepEqual(entry?.details.mintedBy, entry?.actor);
    assert.equal(entry?.details.userId, created.user.id);
  } finally {
    await runtime.close();
  }
});

test('disable refuses the login and revokes tokens for good; list shows users without hashes', async () => {
  const token = JSON.parse(
    (await run(['users', 'token', 'create', '--name', 'alice', '--json'], dataDir)).stdout,
  ).token;
  assert.equal(await tokenUser(token), 'alice');
  const disabled = await run(['users', 'disable', 'alice'], dataDir);
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.match(
    disabled.stdout,
    /^user alice \(usr_[\w-]+\) is disabled; 1 session\(s\) ended, 1 API token\(s\) revoked\n$/,
  );
  assert.equal(await login('alice', alicePassword), 'UNAUTHORIZED');
  // Finding 10: enabling lets alice log in again, but her old token stays revoked.
  const enabled = await run(['users', 'enable', 'alice'], dataDir);
  assert.equal(enabled.code, 0, enabled.stderr);
  assert.equal(await tokenUser(token), null);
  assert.equal(await login('alice', alicePassword), 'approver');
  assert.equal((await run(['users', 'disable', 'alice'], dataDir)).code, 0);

  const list = await run(['users', 'list'], dataDir);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID\s+NAME\s+ROLE\s+STATUS\s+CREATED$/m);
  assert.match(list.stdout, /^usr_[\w-]+\s+alice\s+approver\s+disabled\s/m);
  assert.match(list.stdout, /^usr_[\w-]+\s+root\s+admin\s+active\s/m);
  assert.ok(!list.stdout.includes('scrypt'));
});

test('set-password refuses a password in argv, no mode or both, a short one and an unknown user', async () => {
  const cases: Array<[string[], string, RegExp]> = [
    [['--name', 'root'], '', /choose one of --password-stdin or --generate/],
    [['--name', 'root', '--password-stdin', '--generate'], 'x', /choose one of/],
    [['--name', 'root', '--password', 'typed-in-argv-1234'], '', /unknown option '--password'/],
    [['--name', 'root', '--password-stdin'], 'short\n', /at least 12 characters/],
    [['--name', 'root', '--password-stdin'], '', /no password on stdin/],
    [['--name', 'nobody', '--generate'], '', /user nobody not found/],
  ];
  for (const [args, input, error] of cases) {
    const result = await run(['users', 'set-password', ...args], dataDir, {}, input);
    assert.equal(result.code, 1, args.join(' '));
    assert.equal(result.stdout, '');
    assert.match(result.stderr, error);
  }
  assert.equal(await login('root', 'correct horse battery staple'), 'admin', 'nothing changed');
});

test('set-password --password-stdin: the old password and every session end, audited as the host user', async () => {
  const old = 'correct horse battery staple';
  const runtime = await runtimeFor(dataDir);
  let sessionToken: string;
  try {
    sessionToken = (await runtime.users.login('root', old)).sessionToken;
  } finally {
    await runtime.close();
  }
  const fresh = 'a new password for root';
  const result = await run(
    ['users', 'set-password', '--name', 'root', '--password-stdin', '--json'],
    dataDir,
    {},
    `${fresh}\n`,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const out = JSON.parse(result.stdout);
  assert.equal(out.name, 'root');
  assert.equal(out.generatedPassword, null);
  assert.ok(out.sessionsEnded >= 1);
  assert.ok(!result.stdout.includes(fresh));
  assert.equal(await login('root', old), 'UNAUTHORIZED');
  assert.equal(await login('root', fresh), 'admin');

  const check = await runtimeFor(dataDir);
  try {
    assert.equal(await check.users.authenticateSession(sessionToken), null, 'the session held before ended');
    const [entry, ...more] = await check.store.listAudit({ event: 'user.password_reset', limit: 10 });
    assert.deepEqual(more, []);
    assert.equal(entry?.actor.type, 'system');
    assert.match(entry?.actor.id ?? '', /^cli:.+/);
    assert.equal(entry?.details.userId, out.id);
    assert.equal(entry?.details.sessionsEnded, out.sessionsEnded);
    assert.equal(entry?.details.generated, false);
    const all = JSON.stringify(await check.store.listAudit({ limit: 1000 }));
    assert.ok(!all.includes(fresh) && !all.includes(old), 'no password in the audit');
  } finally {
    await check.close();
  }
});

test('set-password --generate prints a new password once, which logs in; a disabled user stays disabled', async () => {
  const result = await run(['users', 'set-password', '--name', 'root', '--generate'], dataDir);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, 'Store this password now: it is not shown again.\n');
  const match = /^password of root \(usr_[\w-]+\) is set; \d+ session\(s\) ended\npassword: (\S{24})\n$/.exec(
    result.stdout,
  );
  assert.ok(match, result.stdout);
  assert.equal(await login('root', match[1] as string), 'admin');

  // alice was disabled above: a reset gives her a password but not her access back.
  const alice = await run(['users', 'set-password', '--name', 'alice', '--generate', '--json'], dataDir);
  assert.equal(alice.code, 0, alice.stderr);
  const { generatedPassword, status } = JSON.parse(alice.stdout);
  assert.equal(status, 'disabled');
  assert.equal(await login('alice', generatedPassword), 'UNAUTHORIZED');
});
