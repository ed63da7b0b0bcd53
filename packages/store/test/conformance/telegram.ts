import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import type { TelegramMessage } from '@agent-otp/core';
import { addPending, addUser, allAudit, type MakeStore, storeTest, T0, userEvent } from './fixtures.ts';

const hash = () => randomBytes(32).toString('hex');
const chat = (chatId: string) => ({ chatId, chatLabel: `@${chatId}` });

function makeMessage(permissionId: string, userId: string, chatId: string): TelegramMessage {
  return {
    id: randomBytes(16).toString('base64url'),
    permissionId,
    userId,
    chatId,
    messageId: null,
    finalStatus: null,
    createdAt: T0,
  };
}

export function telegramTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('telegram links', () => {
    test('a code redeems once, binds the chat and audits both steps', async (store) => {
      const ana = await addUser(store);
      const codeHash = hash();
      await store.createTelegramLinkCode(
        { codeHash, userId: ana.id, createdAt: T0, expiresAt: T0 + 600_000 },
        userEvent(ana, 'telegram.link_code'),
      );
      const link = await store.redeemTelegramLinkCode(codeHash, chat('42'), T0 + 1, (user) => [
        userEvent(user, 'telegram.linked', { name: user.name }),
      ]);
      assert.deepEqual(link, { userId: ana.id, chatId: '42', chatLabel: '@42', linkedAt: T0 + 1 });
      assert.deepEqual(await store.getTelegramLinkByChat('42'), link);
      assert.deepEqual(await store.getTelegramLinkByUser(ana.id), link);
      assert.deepEqual(await store.listTelegramLinks(), [link]);
      assert.equal(await store.redeemTelegramLinkCode(codeHash, chat('43'), T0 + 2, () => []), null, 'used');
      assert.equal(await store.getTelegramLinkByChat('43'), null);
      const events = (await allAudit(store)).map((e) => e.event);
      assert.deepEqual(events.slice(-2), ['telegram.link_code', 'telegram.linked']);
    });

    test('an expired or unknown code is refused and writes nothing', async (store) => {
      const ana = await addUser(store);
      const codeHash = hash();
      await store.createTelegramLinkCode(
        { codeHash, userId: ana.id, createdAt: T0, expiresAt: T0 + 1000 },
        userEvent(ana, 'telegram.link_code'),
      );
      const before = (await allAudit(store)).length;
      assert.equal(await store.redeemTelegramLinkCode(codeHash, chat('1'), T0 + 1000, () => []), null);
      assert.equal(await store.redeemTelegramLinkCode(hash(), chat('1'), T0 + 1, () => []), null);
      assert.equal(await store.getTelegramLinkByUser(ana.id), null);
      assert.equal((await allAudit(store)).length, before);
    });

    test('a new code replaces the unused one; a disabled user cannot redeem', async (store) => {
      const ana = await addUser(store);
      const [first, second] = [hash(), hash()];
      for (const codeHash of [first, second]) {
        await store.createTelegramLinkCode(
          { codeHash, userId: ana.id, createdAt: T0, expiresAt: T0 + 600_000 },
          userEvent(ana, 'telegram.link_code'),
        );
      }
      assert.equal(await store.redeemTelegramLinkCode(first, chat('1'), T0 + 1, () => []), null);
      await store.disableUser(ana.id, T0 + 2, () => [userEvent(ana, 'user.disabled')]);
      assert.equal(await store.redeemTelegramLinkCode(second, chat('1'), T0 + 3, () => []), null);
      assert.equal(await store.getTelegramLinkByUser(ana.id), null);
    });

    test('linking moves a chat and a user to the new binding; unlink deletes with audit', async (store) => {
      const [ana, bo] = [await addUser(store), await addUser(store)];
      const link = async (userId: string, chatId: string) => {
        const codeHash = hash();
        await store.createTelegramLinkCode(
          { codeHash, userId, createdAt: T0, expiresAt: T0 + 600_000 },
          userEvent({ id: userId }, 'telegram.link_code'),
        );
        return store.redeemTelegramLinkCode(codeHash, chat(chatId), T0 + 1, (user) => [
          userEvent(user, 'telegram.linked'),
        ]);
      };
      await link(ana.id, '1');
      await link(ana.id, '2');
      assert.equal(await store.getTelegramLinkByChat('1'), null, "ana's old chat is unbound");
      await link(bo.id, '2');
      assert.equal(await store.getTelegramLinkByUser(ana.id), null, 'the chat now belongs to bo');
      assert.equal((await store.getTelegramLinkByChat('2'))?.userId, bo.id);
      const removed = await store.deleteTelegramLink(bo.id, (l) => [
        userEvent(bo, 'telegram.unlinked', { chatId: l.chatId }),
      ]);
      assert.equal(removed?.chatId, '2');
      assert.equal(await store.getTelegramLinkByChat('2'), null);
      assert.equal(await store.deleteTelegramLink(bo.id, () => []), null);
      assert.equal((await allAudit(store)).at(-1)?.event, 'telegram.unlinked');
    });

    test('racing redemptions of one code: exactly one links', async (store) => {
      const ana = await addUser(store);
      const codeHash = hash();
      await store.createTelegramLinkCode(
        { codeHash, userId: ana.id, createdAt: T0, expiresAt: T0 + 600_000 },
        userEvent(ana, 'telegram.link_code'),
      );
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.redeemTelegramLinkCode(codeHash, chat(String(100 + i)), T0 + 1, (user) => [
            userEvent(user, 'telegram.linked'),
          ]),
        ),
      );
      assert.equal(results.filter((r) => r !== null).length, 1);
      assert.equal((await allAudit(store)).filter((e) => e.event === 'telegram.linked').length, 1);
    });
  });

  describe('telegram messages', () => {
    test('one message per request and chat; message id and final claim stick once', async (store) => {
      const ana = await addUser(store);
      const p = await addPending(store);
      const message = makeMessage(p.id, ana.id, '42');
      const results = await Promise.all([
        store.addTelegramMessage(message),
        store.addTelegramMessage({ ...makeMessage(p.id, ana.id, '42') }),
      ]);
      assert.deepEqual(results.sort(), [false, true]);
      const stored = (await store.listTelegramMessages(p.id))[0] as TelegramMessage;
      await store.setTelegramMessageId(stored.id, 9_007_199_254);
      assert.equal((await store.getTelegramMessage(stored.id))?.messageId, 9_007_199_254);
      assert.equal(await store.getTelegramMessage('nope'), null);
      const claims = await Promise.all([
        store.claimTelegramMessageFinal(stored.id, 'approved'),
        store.claimTelegramMessageFinal(stored.id, 'denied'),
      ]);
      assert.equal(claims.filter(Boolean).length, 1);
      const final = await store.getTelegramMessage(stored.id);
      assert.ok(final?.finalStatus === 'approved' || final?.finalStatus === 'denied');
      assert.ok(await store.addTelegramMessage(makeMessage(p.id, ana.id, '43')), 'another chat gets its own');
      assert.equal((await store.listTelegramMessages(p.id)).length, 2);
    });
  });
}
