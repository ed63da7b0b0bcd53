import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  buttonData,
  type Harness,
  type LinkedUser,
  lastAnswer,
  startHarness,
  until,
} from './telegram-harness.ts';

const EMAIL = {
  action: 'gmail.send',
  resource: 'email:client@example.com',
  scope: { max_emails: 1, subject_pattern: '^Invoice.*' },
  context: { reason: 'Send the <b>invoice</b> & _receipt_' },
};

describe('telegram: approving from a phone', () => {
  let h: Harness;
  let ana: LinkedUser;
  let bo: LinkedUser;
  before(async () => {
    h = await startHarness();
    ana = await h.linkedUser('ana', 1001);
    bo = await h.linkedUser('bo', 1002);
  });
  after(() => h.close());

  it('sends the whole request with buttons; a tap on Approve hands the waiting agent its token', async () => {
    const requested = await h.request(EMAIL);
    assert.equal(requested.status, 202);
    const id = requested.body.data.id as string;
    const waiting = h.wait(id, 20);
    const message = await h.messageFor(1001, id);
    await h.messageFor(1002, id);
    for (const part of [
      'mailer',
      'gmail.send',
      'email:client@example.com',
      '"subject_pattern":"^Invoice.*"',
      'Send the <b>invoice</b> & _receipt_',
      'Emails need approval',
      'Deadline: ',
    ]) {
      assert.ok(message.text?.includes(part), `message shows ${part}`);
    }
    const send = h.tg.callsOf('sendMessage').find((c) => c.params.text.includes(id));
    assert.equal(send?.params.parse_mode, undefined, 'plain text: nothing the agent wrote is markup');
    const buttons = message.reply_markup?.inline_keyboard.flat() ?? [];
    assert.deepEqual(
      buttons.map((b) => b.text),
      ['✅ Approve', '❌ Deny', '🔎 Details'],
    );
    assert.equal(buttons[2]?.url, `https://otp.example.com/requests/${id}`);
    assert.ok(
      buttons.every((b) => !b.callback_data?.includes(id)),
      'callback data never names the request',
    );

    h.tg.tap(ana.person, message, buttonData(message, 'Approve'));
    const decided = await waiting;
    assert.equal(decided.body.data.status, 'approved');
    assert.match(decided.body.data.token, /^otp_/);
    await until('the answer to the tap', () => lastAnswer(h.tg) === 'Approved.');
    for (const chat of [1001, 1002]) {
      const edited = await until('the edit to the outcome', () =>
        h.tg.messagesIn(chat).find((m) => m.text?.includes(id) && m.text.includes('✅ Approved by ana')),
      );
      const left = edited.reply_markup?.inline_keyboard.flat().map((b) => b.text);
      assert.deepEqual(left, ['🔎 Details'], 'no buttons to vote with after the decision');
    }
    const votes = await h.server.runtime.store.listApprovalVotes(id);
    assert.deepEqual(
      votes.map((v) => [v.userName, v.decision]),
      [['ana', 'approve']],
    );
  });

  it('a tap on Deny denies, and the waiting agent learns it', async () => {
    const id = (await h.request(EMAIL)).body.data.id as string;
    const waiting = h.wait(id, 20);
    const message = await h.messageFor(1002, id);
    h.tg.tap(bo.person, message, buttonData(message, 'Deny'));
    assert.equal((await waiting).body.data.status, 'denied');
    await until('the denial on both copies', () =>
      [1001, 1002].every((chat) =>
        h.tg.messagesIn(chat).some((m) => m.text?.includes(id) && m.text.includes('❌ Denied by bo')),
      ),
    );
  });

  it('taps from an unlinked chat and forged callback data change nothing', async () => {
    const id = (await h.request(EMAIL)).body.data.id as string;
    const other = (await h.request(EMAIL)).body.data.id as string;
    const anaMessage = await h.messageFor(1001, id);
    const boOther = await h.messageFor(1002, other);
    const stranger = h.tg.person(9999, 'mallory');
    const answers = h.tg.callsOf('answerCallbackQuery').length;
    // A stranger replays ana's button; bo presents ana's data on his own message of another
    // request; bo sends garbage, a permission id, and an id that was never issued.
    h.tg.tap(stranger, anaMessage, buttonData(anaMessage, 'Approve'));
    h.tg.tap(bo.person, boOther, buttonData(anaMessage, 'Approve'));
    h.tg.tap(bo.person, anaMessage, buttonData(anaMessage, 'Approve'));
    h.tg.tap(bo.person, boOther, 'garbage');
    h.tg.tap(bo.person, boOther, `v1:a:${id}`);
    h.tg.tap(bo.person, boOther, 'v1:a:AAAAAAAAAAAAAAAAAAAAAA');
    await until('six answers', () => h.tg.callsOf('answerCallbackQuery').length >= answers + 6);
    const texts = h.tg
      .callsOf('answerCallbackQuery')
      .slice(answers)
      .map((c) => c.params.text);
    assert.deepEqual(texts, [
      'This chat is not linked to an Agent OTP user.',
      'This button is not valid.',
      // A tap "from bo" on a message in ana's private chat: the sender is not the chat's person.
      'This chat is not linked to an Agent OTP user.',
      ...Array(3).fill('This button is not valid.'),
    ]);
    for (const pid of [id, other]) {
      assert.equal((await h.server.runtime.store.getPermission(pid))?.status, 'pending');
      assert.deepEqual(await h.server.runtime.store.listApprovalVotes(pid), []);
    }
    // The stranger's chat received nothing about any request.
    assert.ok(h.tg.messagesIn(9999).every((m) => !m.text?.includes('perm_')));
  });

  it('a quorum of two needs both chats; the first tap shows progress', async () => {
    const id = (
      await h.request({ action: 'bank.transfer', resource: 'account:42', scope: { max_amount: 100 } })
    ).body.data.id as string;
    const waiting = h.wait(id, 20);
    const first = await h.messageFor(1001, id);
    assert.ok(first.text?.includes('Approvals: 0 of 2'));
    h.tg.tap(ana.person, first, buttonData(first, 'Approve'));
    await until('the progress edit', () =>
      h.tg.messagesIn(1002).find((m) => m.text?.includes(id) && m.text.includes('Approvals: 1 of 2 (ana)')),
    );
    assert.equal((await h.server.runtime.store.getPermission(id))?.status, 'pending');
    // ana tapping again does not make two approvers.
    h.tg.tap(ana.person, first, buttonData(first, 'Approve'));
    await until('the refusal of a second vote', () => /already decided/.test(lastAnswer(h.tg) ?? ''));
    const second = await h.messageFor(1002, id);
    h.tg.tap(bo.person, second, buttonData(second, 'Approve'));
    const decided = await waiting;
    assert.equal(decided.body.data.status, 'approved');
    await until('the outcome naming both', () =>
      h.tg
        .messagesIn(1001)
        .find((m) => m.text?.includes(id) && /✅ Approved by (ana, bo|bo, ana)$/.test(m.text)),
    );
  });

  it('racing taps of both buttons by two people end in one outcome', async () => {
    const id = (await h.request(EMAIL)).body.data.id as string;
    const a = await h.messageFor(1001, id);
    const b = await h.messageFor(1002, id);
    h.tg.tap(ana.person, a, buttonData(a, 'Approve'));
    h.tg.tap(bo.person, b, buttonData(b, 'Deny'));
    const final = await until('a decision', async () => {
      const p = await h.server.runtime.store.getPermission(id);
      return p?.status !== 'pending' ? p : null;
    });
    const label = final.status === 'approved' ? '✅ Approved' : '❌ Denied';
    await until('both copies show the one outcome', () =>
      [1001, 1002].every((chat) =>
        h.tg.messagesIn(chat).some((m) => m.text?.includes(id) && m.text.includes(label)),
      ),
    );
  });

  it('a decision in the API edits the messages', async () => {
    const id = (await h.request(EMAIL)).body.data.id as string;
    await h.messageFor(1001, id);
    const rt = h.server.runtime;
    const { token } = await rt.users.createToken('bo', 'phone-test', { type: 'user', id: bo.user.id });
    const response = await fetch(`${h.server.url}/api/v1/approvals/${id}/deny`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'not today' }),
    });
    assert.equal(response.status, 200);
    await until('the edit after the API decision', () =>
      h.tg
        .messagesIn(1001)
        .find((m) => m.text?.includes(id) && m.text.includes('❌ Denied by bo: not today')),
    );
  });

  it('expiry edits the messages', async () => {
    const id = (await h.request(EMAIL)).body.data.id as string;
    const approve = buttonData(await h.messageFor(1002, id), 'Approve');
    const message = await h.messageFor(1002, id);
    h.clock.advance(16 * 60 * 1000);
    await until('the expiry edit', () =>
      h.tg.messagesIn(1002).find((m) => m.text?.includes(id) && m.text.includes('⌛ Expired')),
    );
    assert.equal((await h.server.runtime.store.getPermission(id))?.status, 'expired');
    h.tg.tap(bo.person, message, approve);
    await until('the refusal of a late tap', () => /already expired/.test(lastAnswer(h.tg) ?? ''));
  });

  it('/status lists pending requests for a linked approver; an unlinked chat gets no data', async () => {
    const id = (await h.request(EMAIL)).body.data.id as string;
    await h.messageFor(1001, id);
    h.tg.sendText(ana.person, '/status');
    await until('the status reply', () =>
      h.tg.messagesIn(1001).find((m) => m.text?.includes('pending request(s)')),
    );
    const stranger = h.tg.person(9998, 'eve');
    h.tg.sendText(stranger, '/status');
    const reply = await until('the reply to the stranger', () => h.tg.messagesIn(9998).at(-1));
    assert.match(reply.text ?? '', /not linked/);
    assert.ok(!reply.text?.includes('perm_'));
  });
});
