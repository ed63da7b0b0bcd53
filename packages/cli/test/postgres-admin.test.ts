import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRuntime, parseConfig } from '@agent-otp/server';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '@agent-otp/store/postgres-test-db';
import { run, tempDir } from './helpers.ts';

const skip = await postgresSkipReason('the admin commands against PostgreSQL');

// The admin commands go through createRuntime, so DATABASE_URL alone points them at PostgreSQL.
describe('admin commands with DATABASE_URL', { skip: skip ?? false, timeout: 120_000 }, () => {
  let db: TestDatabase;
  const home = tempDir();
  const env = () => ({ DATABASE_URL: db.url });
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
    home.remove();
  });

  it('agents create, users create, users token create, users set-password, audit verify', async () => {
    const agent = await run(['agents', 'create', '--name', 'pg-bot', '--json'], home.dir, env());
    assert.equal(agent.code, 0, agent.stderr);
    const { apiKey } = JSON.parse(agent.stdout);

    const user = await run(
      ['users', 'create', '--name', 'ana', '--role', 'approver', '--password-stdin'],
      home.dir,
      env(),
      'a-long-enough-password\n',
    );
    assert.equal(user.code, 0, user.stderr);
    const token = await run(['users', 'token', 'create', '--name', 'ana', '--json'], home.dir, env());
    assert.equal(token.code, 0, token.stderr);
    const reset = await run(
      ['users', 'set-password', '--name', 'ana', '--generate', '--json'],
      home.dir,
      env(),
    );
    assert.equal(reset.code, 0, reset.stderr);
    const { generatedPassword } = JSON.parse(reset.stdout);

    const verify = await run(['audit', 'verify', '--json'], home.dir, env());
    assert.equal(verify.code, 0, verify.stderr);
    const result = JSON.parse(verify.stdout);
    assert.equal(result.ok, true);
    assert.ok(result.entries >= 4, `${result.entries} entries`);

    // What the commands wrote is in PostgreSQL, under the data directory's secret.
    const runtime = await createRuntime(
      parseConfig({ AGENT_OTP_DATA_DIR: home.dir, AGENT_OTP_LOG_LEVEL: 'silent', ...env() }),
    );
    try {
      assert.equal((await runtime.agents.authenticate(apiKey)).name, 'pg-bot');
      const login = await runtime.users.login('ana', generatedPassword);
      assert.equal(login.user.name, 'ana');
    } finally {
      await runtime.close();
    }
  });

  it('a command run with another secret file is refused and names the fix', async () => {
    const other = tempDir();
    try {
      const result = await run(['agents', 'list'], other.dir, env());
      assert.equal(result.code, 1);
      assert.match(result.stderr, /same secret file/);
    } finally {
      other.remove();
    }
  });
});
