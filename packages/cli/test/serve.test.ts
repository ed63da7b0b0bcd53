import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, ROOT, tempDir } from './helpers.ts';

const temp = tempDir();
after(() => temp.remove());

test('serve answers /healthz and exits 0 on SIGTERM', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['packages/cli/bin/agent-otp.js', 'serve', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, AGENT_OTP_DATA_DIR: join(temp.dir, 'data'), AGENT_OTP_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    let status = 0;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && child.exitCode === null; ) {
      try {
        status = (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
        if (status === 200) break;
      } catch {
        // Not listening yet: tsx is still loading the sources.
      }
      await sleep(100);
    }
    assert.equal(status, 200, `server did not become healthy; stderr: ${stderr}`);
    child.kill('SIGTERM');
    const [code, signal] = await Promise.race([
      exited,
      sleep(5000).then(() => assert.fail('serve did not exit within 5 s of SIGTERM')),
    ]);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
