import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness, until } from './telegram-harness.ts';

const system = { type: 'system' as const, id: 'test' };

describe('telegram: linking a chat with /start CODE', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const lastReply = (chatId: number, after: number) =>
    until(`a reply in ${chatId}`, () =>
      h.tg.messagesIn(chatId).find((m) => m.message_id > after && m.from?.is_bot),
    );

  it('links once; the reused code is refused; audit names the user and never the code', async () => {
    const rt = h.server.runtime;
    const { user } = await rt.users.create({ name: 'cleo', role: 'approver' }, system);
    const { code } = await rt.telegramLinks.createCode(user, system);
    const cleo = h.tg.person(2001, 'Cleo');
    const { message: sent } = h.tg.sendText(cleo, `/start ${code}`) as unknown as {
      message: { message_id: number };
    };
    const reply = await lastReply(2001, sent.message_id);
    assert.match(reply.text ?? '', /^Linked to cleo\./);
    const link = await rt.store.getTelegramLinkByChat('2001');
    assert.deepEqual([link?.userId, link?.chatLabel], [user.id, '@cleo']);

    const thief = h.tg.person(2002, 'Thief');
    const { message: again } = h.tg.sendText(thief, `/start ${code}`) as unknown as {
      message: { message_id: number };
    };
    assert.match((await lastReply(2002, again.message_id)).text ?? '', /unknown, already used or expired/);
    assert.equal(await rt.store.getTelegramLinkByChat('2002'), null);
    assert.equal((await rt.store.getTelegramLinkByUser(user.id))?.chatId, '2001', 'the first link stands');

    const audit = await rt.store.listAudit({ limit: 500 });
    const events = audit.filter((e) => e.event.startsWith('telegram.'));
    assert.deepEqual(
      events.map((e) => e.event),
      ['telegram.link_code_created', 'telegram.linked'],
    );
    assert.equal(events[1]?.details.user, 'cleo');
    assert.ok(!JSON.stringify(audit).includes(code), 'the code is in no audit entry');
  });

  it('an expired code is refused', async () => {
    const rt = h.server.runtime;
    const { user } = await rt.users.create({ name: 'dan', role: 'approver' }, system);
    const { code } = await rt.telegramLinks.createCode(user, system);
    h.clock.advance(10 * 60 * 1000 + 1);
    const dan = h.tg.person(2003, 'Dan');
    const { message } = h.tg.sendText(dan, `/start ${code}`) as unknown as {
      message: { message_id: number };
    };
    assert.match((await lastReply(2003, message.message_id)).text ?? '', /unknown, already used or expired/);
    assert.equal(await rt.store.getTelegramLinkByUser(user.id), null);
  });

  it('a group chat cannot be linked, and a new code replaces the unused one', async () => {
    const rt = h.server.runtime;
    const { user } = await rt.users.create({ name: 'eli', role: 'admin' }, system);
    const first = await rt.telegramLinks.createCode(user, system);
    const second = await rt.telegramLinks.createCode(user, system);
    const eli = h.tg.person(2004, 'Eli');
    const group = { id: -5000, type: 'group' as const, title: 'Ops' };
    h.tg.sendText(eli, `/start ${second.code}`, group);
    await until('the group refusal', () =>
      h.tg.callsOf('sendMessage').find((c) => String(c.params.chat_id) === '-5000'),
    );
    assert.equal(await rt.store.getTelegramLinkByUser(user.id), null);
    const { message } = h.tg.sendText(eli, `/start ${first.code}`) as unknown as {
      message: { message_id: number };
    };
    assert.match((await lastReply(2004, message.message_id)).text ?? '', /unknown, already used or expired/);
    const { message: ok } = h.tg.sendText(eli, `/start ${second.code}`) as unknown as {
      message: { message_id: number };
    };
    assert.match((await lastReply(2004, ok.message_id)).text ?? '', /^Linked to eli\./);
  });

  it('unlinking stops deliveries and taps; a viewer is linked but gets no requests', async () => {
    const rt = h.server.runtime;
    const fay = await h.linkedUser('fay', 2005);
    const vic = await h.linkedUser('vic', 2006, 'viewer');
    const id = (await h.request({ action: 'gmail.send', resource: 'email:x@example.com' })).body.data
      .id as string;
    const message = await h.messageFor(2005, id);
    assert.equal(
      h.tg.messagesIn(2006).some((m) => m.text?.includes(id)),
      false,
      'a viewer decides nothing',
    );
    await rt.telegramLinks.unlink(fay.user, system);
    const answers = h.tg.callsOf('answerCallbackQuery').length;
    const approve = message.reply_markup?.inline_keyboard[0]?.[0]?.callback_data as string;
    h.tg.tap(fay.person, message, approve);
    await until('the answer', () => h.tg.callsOf('answerCallbackQuery').length > answers);
    assert.equal(
      h.tg.callsOf('answerCallbackQuery').at(-1)?.params.text,
      'This chat is not linked to an Agent OTP user.',
    );
    assert.equal((await rt.store.getPermission(id))?.status, 'pending');
    const next = (await h.request({ action: 'gmail.send', resource: 'email:y@example.com' })).body.data
      .id as string;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(
      h.tg.messagesIn(2005).some((m) => m.text?.includes(next)),
      false,
      'unlinked: nothing sent',
    );
    const unlinked = (await rt.store.listAudit({ event: 'telegram.unlinked', limit: 10 })).at(-1);
    assert.equal(unlinked?.details.user, 'fay');
    void vic;
  });
});
