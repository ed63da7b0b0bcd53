import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startHarness, until } from './telegram-harness.ts';

const SECRET = 'webhook-secret-0123456789abcdef';
const system = { type: 'system' as const, id: 'test' };

describe('telegram: webhook mode', () => {
  it('registers the webhook with its secret and refuses updates without the right header', async () => {
    const h = await startHarness({
      TELEGRAM_WEBHOOK_URL: 'https://otp.example.com/telegram/webhook',
      TELEGRAM_WEBHOOK_SECRET: SECRET,
    });
    try {
      const registered = await until('setWebhook', () => h.tg.webhook());
      assert.deepEqual(registered, { url: 'https://otp.example.com/telegram/webhook', secret_token: SECRET });
      await until('the bot to know itself', () => h.tg.callsOf('getMe').length > 0);
      assert.equal(h.tg.callsOf('getUpdates').length, 0, 'no polling in webhook mode');

      const rt = h.server.runtime;
      const { user } = await rt.users.create({ name: 'gus', role: 'approver' }, system);
      const { code } = await rt.telegramLinks.createCode(user, system);
      const gus = h.tg.person(3001, 'Gus');
      const update = h.tg.makeUpdate({
        message: {
          message_id: 1,
          from: gus.user,
          chat: gus.chat,
          date: Math.floor(Date.now() / 1000),
          text: `/start ${code}`,
          entities: [{ type: 'bot_command', offset: 0, length: 6 }],
        },
      });
      const post = (headers: Record<string, string | undefined>) =>
        fetch(`${h.server.url}/telegram/webhook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(headers as Record<string, string>) },
          body: JSON.stringify(update),
        });
      for (const headers of [
        {},
        { 'X-Telegram-Bot-Api-Secret-Token': `${SECRET}x` },
        { 'X-Telegram-Bot-Api-Secret-Token': '' },
      ]) {
        const refused = await post(headers);
        assert.equal(refused.status, 401);
        const body = (await refused.json()) as { success: boolean; error: { code: string } };
        assert.equal(body.error.code, 'UNAUTHORIZED');
      }
      assert.equal(await rt.store.getTelegramLinkByChat('3001'), null, 'refused updates did nothing');

      const accepted = await post({ 'X-Telegram-Bot-Api-Secret-Token': SECRET });
      assert.equal(accepted.status, 200);
      assert.equal((await rt.store.getTelegramLinkByChat('3001'))?.userId, user.id);
      assert.match(h.tg.messagesIn(3001).at(-1)?.text ?? '', /^Linked to gus\./);

      const bad = await fetch(`${h.server.url}/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': SECRET },
        body: '{not json',
      });
      assert.equal(bad.status, 400);
    } finally {
      await h.close();
    }
  });

  it('refuses to start in webhook mode without a secret', async () => {
    await assert.rejects(
      startHarness({ TELEGRAM_WEBHOOK_URL: 'https://otp.example.com/telegram/webhook' }),
      /TELEGRAM_WEBHOOK_SECRET/,
    );
  });
});

describe('telegram: failures of the Bot API', () => {
  it('a 429 with retry_after is waited out and the message still arrives; the request is never held up', async () => {
    const h = await startHarness();
    try {
      await h.linkedUser('hal', 4001);
      h.tg.failNext('sendMessage', {
        error_code: 429,
        description: 'Too Many Requests: retry after 1',
        parameters: { retry_after: 1 },
      });
      const started = Date.now();
      const requested = await h.request({ action: 'gmail.send', resource: 'email:z@example.com' });
      assert.equal(requested.status, 202);
      assert.ok(Date.now() - started < 900, 'the agent is answered before Telegram is');
      const id = requested.body.data.id as string;
      await h.messageFor(4001, id);
      const sends = h.tg.callsOf('sendMessage').filter((c) => String(c.params.text).includes(id));
      assert.equal(sends.length, 2, 'one refused, one accepted');
      const [first, second] = sends as unknown as [{ at: number }, { at: number }];
      assert.ok(second.at - first.at >= 1000, `retried after retry_after (${second.at - first.at} ms)`);
      // The id is stored once the accepted send's answer has been read, just after the stand-in saw it.
      const storedId = async () => (await h.server.runtime.store.listTelegramMessages(id))[0]?.messageId;
      await until('the message id is stored for later edits', storedId);
      assert.equal((await h.server.runtime.store.listTelegramMessages(id)).length, 1);
    } finally {
      await h.close();
    }
  });

  it('a 5xx (Bad Gateway) is retried with backoff', async () => {
    const h = await startHarness();
    try {
      await h.linkedUser('ivy', 4002);
      h.tg.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
      const id = (await h.request({ action: 'gmail.send', resource: 'email:w@example.com' })).body.data
        .id as string;
      await h.messageFor(4002, id);
      assert.equal(h.tg.callsOf('sendMessage').filter((c) => String(c.params.text).includes(id)).length, 2);
    } finally {
      await h.close();
    }
  });
});
