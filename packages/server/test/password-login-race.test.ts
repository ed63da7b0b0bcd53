import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { AgentOtpError, type Store } from '@agent-otp/core';
import { createSqliteStore } from '@agent-otp/store';
import { createLogger, createRuntime, parseConfig } from '../src/index.ts';

// A reset must leave nobody logged in with the old password, including a login whose password
// check passed just before the reset committed and whose session is written just after it.

const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-pwrace-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('a login racing a password reset does not keep a session opened with the old password', async () => {
  const real = createSqliteStore(join(dataDir, 'agent-otp.db'));
  let beforeSession: (() => Promise<void>) | null = null;
  // The reset commits between the login's password check and its session insert.
  const store: Store = new Proxy(real, {
    get(target, key, receiver) {
      if (key === 'createSession') {
        return async (...args: Parameters<Store['createSession']>) => {
          const hook = beforeSession;
          beforeSession = null;
          if (hook) await hook();
          return target.createSession(...args);
        };
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const config = parseConfig({ AGENT_OTP_DATA_DIR: dataDir, AGENT_OTP_POLICY_WATCH: 'false' });
  const runtime = await createRuntime(config, { store, logger: createLogger('silent', sink) });
  try {
    const old = 'the old password of bob';
    await runtime.users.create(
      { name: 'bob', role: 'approver', password: old },
      { type: 'system', id: 'test' },
    );
    beforeSession = async () => {
      await runtime.users.setPassword('bob', 'the reset password of bob', { type: 'system', id: 'cli:root' });
    };
    await assert.rejects(
      runtime.users.login('bob', old),
      (e: unknown) => e instanceof AgentOtpError && e.code === 'UNAUTHORIZED',
    );
    assert.equal(beforeSession, null, 'the reset ran inside the login');
    const [logout] = await runtime.store.listAudit({ event: 'user.logout', limit: 10 });
    assert.match(String(logout?.details.reason), /password changed/);
    // No session of bob's is left (the only one was taken back), and the new password works.
    assert.equal((await runtime.users.login('bob', 'the reset password of bob')).user.name, 'bob');
  } finally {
    await runtime.close();
  }
});
