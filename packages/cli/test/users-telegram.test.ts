import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { run, runtimeFor, tempDir } from './helpers.ts';

const temp = tempDir();
after(() => temp.remove());

test('users link-telegram prints a one-time code that links a chat; unlink-telegram removes it', async () => {
  const created = await run(['users', 'create', '--name', 'tara', '--role', 'approver', '--json'], temp.dir);
  assert.equal(created.code, 0, created.stderr);
  const linked = await run(['users', 'link-telegram', '--name', 'tara', '--json'], temp.dir);
  assert.equal(linked.code, 0, linked.stderr);
  const { code, user, expiresAt } = JSON.parse(linked.stdout);
  assert.match(code, /^[A-Za-z0-9_-]{24}$/);
  assert.equal(user, 'tara');
  assert.ok(Date.parse(expiresAt) > Date.now() + 9 * 60 * 1000);

  // The code is what the bot redeems for /start CODE: once.
  const runtime = await runtimeFor(temp.dir);
  try {
    const chat = { chatId: '777', chatLabel: '@tara' };
    assert.equal((await runtime.telegramLinks.redeem(code, chat))?.user.name, 'tara');
    assert.equal(await runtime.telegramLinks.redeem(code, chat), null, 'a code works once');
    const audit = await runtime.store.listAudit({ limit: 100 });
    assert.ok(!JSON.stringify(audit).includes(code), 'the code is never audited');
  } finally {
    await runtime.close();
  }

  const unlinked = await run(['users', 'unlink-telegram', '--name', 'tara', '--json'], temp.dir);
  assert.equal(unlinked.code, 0, unlinked.stderr);
  assert.deepEqual(JSON.parse(unlinked.stdout), { user: 'tara', chatId: '777', unlinked: true });
  const again = await run(['users', 'unlink-telegram', '--name', 'tara'], temp.dir);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /no linked Telegram chat/);
  const unknown = await run(['users', 'link-telegram', '--name', 'nobody'], temp.dir);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /not found/);
});
