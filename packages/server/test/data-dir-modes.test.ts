import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createLogger, createRuntime, parseConfig } from '../src/index.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

/** Starts a runtime on the directory, writes a little, closes it; returns the log text. */
async function startOn(dataDir: string): Promise<string> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = parseConfig({ AGENT_OTP_DATA_DIR: dataDir, AGENT_OTP_POLICY_WATCH: 'false' });
  const runtime = await createRuntime(config, { logger: createLogger('info', sink) });
  await runtime.agents.create(`bot-${lines.length}-${Date.now()}`, { type: 'system', id: 'test' });
  await runtime.close();
  return lines.join('');
}

// Finding 14: an existing data directory, secret or database open to other users is narrowed at start.
describe('data directory permissions (finding 14)', { skip: process.platform === 'win32' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'agent-otp-modes-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a fresh directory, secret and database are readable by the server user only', async () => {
    const dataDir = join(root, 'fresh');
    await startOn(dataDir);
    assert.equal(mode(dataDir), 0o700);
    assert.equal(mode(join(dataDir, 'server-secret')), 0o600);
    assert.equal(mode(join(dataDir, 'agent-otp.db')), 0o600);
  });

  it('narrows an existing loose directory, secret and database files, and logs each change', async () => {
    const dataDir = join(root, 'loose');
    await startOn(dataDir);
    const db = join(dataDir, 'agent-otp.db');
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'server-secret'), 0o644);
    chmodSync(db, 0o664);
    const logs = await startOn(dataDir);
    assert.equal(mode(dataDir), 0o700);
    assert.equal(mode(join(dataDir, 'server-secret')), 0o600);
    assert.equal(mode(db), 0o600);
    for (const [path, from, to] of [
      [dataDir, '0755', '0700'],
      [join(dataDir, 'server-secret'), '0644', '0600'],
      [db, '0664', '0600'],
    ]) {
      const line = logs
        .split('\n')
        .find((l) => l.includes('narrowed permissions') && l.includes(`"path":${JSON.stringify(path)}`));
      assert.ok(line, `a log line for ${path}`);
      assert.match(line, new RegExp(`"from":"${from}","to":"${to}"`));
    }
    // Nothing left to narrow: a second start logs no change.
    assert.doesNotMatch(await startOn(dataDir), /narrowed permissions/);
  });

  it('leaves modes that are already narrower alone', async () => {
    const dataDir = join(root, 'narrow');
    await startOn(dataDir);
    chmodSync(join(dataDir, 'server-secret'), 0o400);
    assert.doesNotMatch(await startOn(dataDir), /narrowed permissions/);
    assert.equal(mode(join(dataDir, 'server-secret')), 0o400);
  });
});
