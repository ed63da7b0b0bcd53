import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentOtpError } from '@agent-otp/core';
import { startTestServer, testDatabase } from '../src/testing.ts';
import { createTestRuntime } from './helpers.ts';

const PASSWORD = 'correct horse battery';

describe('first start creates the admin user', () => {
  it('with AGENT_OTP_ADMIN_PASSWORD: admin can log in; a second start on the same data dir creates no other', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-bootstrap-'));
    // The same database for both starts (a new PostgreSQL one under AGENT_OTP_TEST_STORE=postgres).
    const database = await testDatabase();
    try {
      const first = await startTestServer({
        env: { AGENT_OTP_DATA_DIR: dataDir, AGENT_OTP_ADMIN_PASSWORD: PASSWORD, ...database.env },
      });
      let adminId: string;
      try {
        const login = await first.runtime.users.login('admin', PASSWORD);
        assert.equal(login.user.role, 'admin');
        assert.equal(login.user.status, 'active');
        adminId = login.user.id;
        assert.notEqual(login.user.passwordHash, PASSWORD);
        assert.match(login.user.passwordHash, /^scrypt\$/);
        const created = await first.runtime.store.listAudit({ event: 'user.created', limit: 10 });
        assert.equal(created.length, 1);
        assert.deepEqual(created[0]?.actor, { type: 'system', id: 'bootstrap' });
        assert.ok(!JSON.stringify(created).includes(PASSWORD));

        // The admin can decide over the API with a token of its own.
        const { token } = await first.runtime.users.createToken('admin', 'cli', {
          type: 'user',
          id: adminId,
        });
        const inbox = await fetch(`${first.url}/api/v1/approvals`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(inbox.status, 200);
      } finally {
        await first.close();
      }

      const second = await startTestServer({
        env: {
          AGENT_OTP_DATA_DIR: dataDir,
          AGENT_OTP_ADMIN_PASSWORD: 'another long password',
          ...database.env,
        },
      });
      try {
        const users = await second.runtime.users.list();
        assert.deepEqual(
          users.map((u) => [u.id, u.name]),
          [[adminId, 'admin']],
        );
        assert.equal((await second.runtime.users.login('admin', PASSWORD)).user.id, adminId);
        await assert.rejects(
          second.runtime.users.login('admin', 'another long password'),
          (error: unknown) => error instanceof AgentOtpError && error.code === 'UNAUTHORIZED',
        );
        assert.equal((await second.runtime.store.listAudit({ event: 'user.created', limit: 10 })).length, 1);
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('without a password one is generated and returned once; never logged', async () => {
    const t = await createTestRuntime();
    try {
      const created = await t.runtime.users.ensureAdmin(undefined);
      assert.ok(created?.generatedPassword);
      assert.ok(created.generatedPassword.length >= 16);
      assert.equal((await t.runtime.users.login('admin', created.generatedPassword)).user.role, 'admin');
      assert.equal(await t.runtime.users.ensureAdmin(undefined), null);
      assert.ok(!t.logs().includes(created.generatedPassword));
    } finally {
      await t.close();
    }
  });

  it('two instances bootstrapping one database at once: one admin, and neither start fails', async () => {
    const t = await createTestRuntime();
    try {
      const results = await Promise.all([
        t.runtime.users.ensureAdmin(PASSWORD),
        t.runtime.users.ensureAdmin(PASSWORD),
      ]);
      assert.equal(results.filter((r) => r !== null).length, 1);
      assert.equal((await t.runtime.users.list()).length, 1);
    } finally {
      await t.close();
    }
  });
});
