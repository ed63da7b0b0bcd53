import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type ChildServer, startChildServer } from './child-server.ts';

// Where the dashboard is must be on the console after every start, not only the first one
// (which also prints the admin password): a restarted server otherwise says nothing readable.

const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-banner-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** The banner line, once the child has written it (stderr can trail the first answer a little). */
async function bannerOf(server: ChildServer): Promise<string | undefined> {
  const find = () =>
    server
      .stderr()
      .split('\n')
      .find((line) => line.startsWith('Agent OTP on '));
  for (const deadline = Date.now() + 5000; !find() && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return find();
}

test('every start prints the dashboard URL on stderr, unless the log level is silent', async () => {
  const env = { AGENT_OTP_DATA_DIR: dataDir, AGENT_OTP_LOG_LEVEL: 'info', AGENT_OTP_POLICY_WATCH: 'false' };
  for (const start of ['first', 'restart']) {
    const server = await startChildServer(env);
    try {
      const port = new URL(server.url).port;
      assert.equal(
        await bannerOf(server),
        `Agent OTP on http://localhost:${port} (dashboard: /, docs: /docs, API docs: /api/docs)`,
        `${start}: ${server.stderr()}`,
      );
    } finally {
      await server.stop();
    }
  }

  const quiet = await startChildServer({ ...env, AGENT_OTP_LOG_LEVEL: 'silent' });
  try {
    assert.equal((await fetch(`${quiet.url}/healthz`)).status, 200);
    assert.equal(quiet.stderr(), '');
  } finally {
    await quiet.stop();
  }
});
