import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { run, runtimeFor, tempDir } from './helpers.ts';

const temp = tempDir();
const dataDir = temp.dir;
after(() => temp.remove());

before(async () => {
  const created = await run(['users', 'create', '--name', 'ana', '--role', 'approver', '--json'], dataDir);
  assert.equal(created.code, 0, created.stderr);
});

test('users link-slack links a Slack member id to the user; a malformed id is refused', async () => {
  const linked = await run(
    ['users', 'link-slack', '--name', 'ana', '--slack-user', 'U0123ABCD', '--json'],
    dataDir,
  );
  assert.equal(linked.code, 0, linked.stderr);
  assert.equal(JSON.parse(linked.stdout).slackUserId, 'U0123ABCD');
  const bad = await run(['users', 'link-slack', '--name', 'ana', '--slack-user', 'ana@example.com'], dataDir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Slack user id looks like U0123ABCD/);
  const runtime = await runtimeFor(dataDir);
  try {
    const link = await runtime.store.getSlackLinkBySlackUser('U0123ABCD');
    assert.equal(link?.userId, (await runtime.store.getUserByName('ana'))?.id);
    const audit = await runtime.store.listAudit({ event: 'slack.linked', limit: 10 });
    assert.equal(audit.length, 1);
  } finally {
    await runtime.close();
  }
});
