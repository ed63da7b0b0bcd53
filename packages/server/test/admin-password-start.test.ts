import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { createLogger, parseConfig, startServer } from '../src/index.ts';

// AGENT_OTP_ADMIN_PASSWORD only sets the first admin; a later start must say so rather than
// leave the operator believing the password changed.

const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-adminpw-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

async function start(password: string | undefined) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const env: Record<string, string> = {
    PORT: '0',
    AGENT_OTP_DATA_DIR: dataDir,
    AGENT_OTP_POLICY_WATCH: 'false',
  };
  if (password !== undefined) env.AGENT_OTP_ADMIN_PASSWORD = password;
  const server = await startServer(parseConfig(env), { logger: createLogger('info', sink) });
  const login = async (pw: string) => {
    try {
      await server.runtime.users.login('admin', pw);
      return true;
    } catch {
      return false;
    }
  };
  const warnings = lines.map((l) => JSON.parse(l)).filter((l) => /ADMIN_PASSWORD is ignored/.test(l.msg));
  return { server, login, warnings };
}

test('a changed AGENT_OTP_ADMIN_PASSWORD on a later start is ignored, with a warning naming the fix', async () => {
  const first = await start('the-first-admin-password');
  assert.deepEqual(first.warnings, [], 'the first start uses it: nothing to warn about');
  await first.server.close();

  const second = await start('a-brand-new-password');
  try {
    assert.equal(second.warnings.length, 1);
    assert.match(second.warnings[0].msg, /npx agent-otp users set-password --name admin/);
    assert.ok(!JSON.stringify(second.warnings).includes('a-brand-new-password'), 'the value is never logged');
    assert.equal(await second.login('a-brand-new-password'), false);
    assert.equal(await second.login('the-first-admin-password'), true);
  } finally {
    await second.server.close();
  }

  const third = await start(undefined);
  assert.deepEqual(third.warnings, [], 'no variable, no warning');
  await third.server.close();
});
