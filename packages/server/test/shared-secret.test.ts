import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createPostgresDriver } from '@agent-otp/store';
import { createTestDatabase, postgresSkipReason } from '@agent-otp/store/postgres-test-db';
import { ConfigError, createLogger, createRuntime, parseConfig, testDatabase } from '../src/index.ts';
import { secretFingerprint } from '../src/server-secret.ts';

const root = mkdtempSync(join(tmpdir(), 'agent-otp-secret-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(root, `d${++dirs}`);

const start = (env: Record<string, string>) =>
  createRuntime(parseConfig({ AGENT_OTP_POLICY_WATCH: 'false', ...env }), { logger: createLogger('silent') });

describe('DATABASE_URL selects the store', () => {
  it('unset or empty is SQLite in the data directory; postgres:// and postgresql:// are PostgreSQL', () => {
    const dataDir = newDir();
    assert.equal(parseConfig({ AGENT_OTP_DATA_DIR: dataDir }).database.kind, 'sqlite');
    assert.equal(parseConfig({ AGENT_OTP_DATA_DIR: dataDir, DATABASE_URL: '' }).database.kind, 'sqlite');
    for (const url of ['postgres://u:p@db:5432/otp', 'postgresql://db/otp?sslmode=require']) {
      const config = parseConfig({ DATABASE_URL: url, AGENT_OTP_PG_POOL_MAX: '25' });
      assert.equal(config.database.kind, 'postgres');
      assert.equal(config.database.kind === 'postgres' && config.database.url, url);
      assert.equal(config.database.kind === 'postgres' && config.database.pool.maxConnections, 25);
    }
  });

  it('anything else is a configuration error that names the variable and not its value', () => {
    for (const url of ['mysql://u:hunter2@db/otp', 'sqlite:///tmp/x.db', 'hunter2', '/var/lib/otp.db']) {
      assert.throws(
        () => parseConfig({ DATABASE_URL: url }),
        (error: unknown) =>
          error instanceof ConfigError &&
          /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/.test(error.message) &&
          !error.message.includes('hunter2'),
      );
    }
    assert.throws(
      () => parseConfig({ DATABASE_URL: 'postgres://db/x', AGENT_OTP_PG_POOL_MAX: '0' }),
      ConfigError,
    );
  });
});

describe('the server secret is the same on every instance of one database', () => {
  it('the first start records a fingerprint of the secret, never the secret', async () => {
    const database = await testDatabase();
    const dataDir = newDir();
    try {
      const runtime = await start({ AGENT_OTP_DATA_DIR: dataDir, ...database.env });
      await runtime.close();
      const secretHex = readFileSync(join(dataDir, 'server-secret'), 'utf8').trim();
      const fingerprint = secretFingerprint(Buffer.from(secretHex, 'hex'));
      assert.notEqual(fingerprint, secretHex);
      assert.match(fingerprint, /^[0-9a-f]{64}$/);
      // Starting again with the same secret is fine, and the fingerprint stays what it was.
      const again = await start({ AGENT_OTP_DATA_DIR: dataDir, ...database.env });
      assert.equal(await again.store.claimSetting('server_secret_fingerprint', 'other', 0), fingerprint);
      await again.close();
    } finally {
      await database.drop();
    }
  });

  it('a start with another secret is refused with what to do, and changes nothing', async () => {
    const database = await testDatabase();
    const dataDir = newDir();
    try {
      const first = await start({ AGENT_OTP_DATA_DIR: dataDir, ...database.env });
      await first.agents.create('bot', { type: 'system', id: 'test' });
      await first.close();
      const secretFile = join(dataDir, 'server-secret');
      const original = readFileSync(secretFile, 'utf8');
      writeFileSync(secretFile, randomBytes(32).toString('hex'));
      await assert.rejects(
        start({ AGENT_OTP_DATA_DIR: dataDir, ...database.env }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message.includes(secretFile) &&
          /same secret file/.test(error.message),
      );
      writeFileSync(secretFile, original);
      const back = await start({ AGENT_OTP_DATA_DIR: dataDir, ...database.env });
      assert.equal((await back.agents.list()).length, 1);
      await back.close();
    } finally {
      await database.drop();
    }
  });

  it('AGENT_OTP_SERVER_SECRET_FILE names the secret; a missing one is created 0600', async () => {
    const database = await testDatabase();
    const secretFile = join(newDir(), 'shared', 'secret');
    try {
      const runtime = await start({
        AGENT_OTP_DATA_DIR: newDir(),
        AGENT_OTP_SERVER_SECRET_FILE: secretFile,
        ...database.env,
      });
      await runtime.close();
      assert.equal(statSync(secretFile).mode & 0o777, 0o600);
      assert.match(readFileSync(secretFile, 'utf8'), /^[0-9a-f]{64}$/);
    } finally {
      await database.drop();
    }
  });
});

const skip = await postgresSkipReason('two server instances on one PostgreSQL database');
describe('two instances on one PostgreSQL database', { skip: skip ?? false }, () => {
  it('with one shared secret file, a key issued by one works on the other', async () => {
    const db = await createTestDatabase();
    const secretFile = join(newDir(), 'secret');
    const env = { DATABASE_URL: db.url, AGENT_OTP_SERVER_SECRET_FILE: secretFile };
    try {
      const a = await start({ AGENT_OTP_DATA_DIR: newDir(), ...env });
      const b = await start({ AGENT_OTP_DATA_DIR: newDir(), ...env });
      try {
        const { agent, apiKey } = await a.agents.create('shared-bot', { type: 'system', id: 'test' });
        assert.equal((await b.agents.authenticate(apiKey)).id, agent.id);
      } finally {
        await a.close();
        await b.close();
      }
      // A third instance with its own secret is refused before it serves anything.
      await assert.rejects(start({ AGENT_OTP_DATA_DIR: newDir(), DATABASE_URL: db.url }), /same secret file/);
      const driver = createPostgresDriver(db.url);
      const rows = await driver.all('SELECT key, value FROM settings');
      await driver.close();
      const secretHex = readFileSync(secretFile, 'utf8').trim();
      assert.deepEqual(rows, [
        { key: 'server_secret_fingerprint', value: secretFingerprint(Buffer.from(secretHex, 'hex')) },
      ]);
    } finally {
      await db.drop();
    }
  });
});
