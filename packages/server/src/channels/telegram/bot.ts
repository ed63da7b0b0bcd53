import {
  AgentOtpError,
  type ApprovalService,
  type Clock,
  canDecide,
  type Store,
  type User,
} from '@agent-otp/core';
import type { Bot, Context } from 'grammy';
import type { Logger } from 'pino';
import { loadGrammy } from '../../optional-deps.ts';
import type { TelegramLinks } from './link-service.ts';
import { parseCallbackData } from './message.ts';

export interface TelegramBotDeps {
  store: Store;
  approvals: ApprovalService;
  clock: Clock;
  links: TelegramLinks;
  logger: Logger;
  botToken: string;
  apiRoot: string;
}

const HELP = [
  'Agent OTP asks you here to approve or deny what AI agents want to do.',
  '',
  'To link this chat: run `npx agent-otp users link-telegram --name YOUR_NAME` on the server, or open Account in the dashboard, and send /start CODE here. Codes work once, for 10 minutes.',
  '',
  'Then each pending request arrives as a message with ✅ Approve / ❌ Deny buttons.',
  '/status lists the requests waiting for you.',
  '/help shows this text.',
].join('\n');

const NOT_LINKED =
  'This chat is not linked to an Agent OTP user, so it can see and decide nothing. ' +
  'Get a link code (dashboard → Account, or `npx agent-otp users link-telegram --name YOUR_NAME`) and send /start CODE.';

/**
 * The bot's conversation: /start CODE links a private chat, /status and /help, and the taps on
 * Approve / Deny. Every tap is checked against the stored chat → user binding; callback data is
 * an opaque id of a message we sent to that very chat, never a permission id to trust.
 */
export function createTelegramBot({
  store,
  approvals,
  clock,
  links,
  logger,
  botToken,
  apiRoot,
}: TelegramBotDeps) {
  const bot = new (loadGrammy().Bot)(botToken, { client: { apiRoot } });

  /** The active user this chat is linked to, or null. */
  async function linkedUser(ctx: Context): Promise<User | null> {
    if (ctx.chat?.type !== 'private' || !ctx.from || ctx.from.id !== ctx.chat.id) return null;
    const link = await store.getTelegramLinkByChat(String(ctx.chat.id));
    if (!link) return null;
    const user = await store.getUser(link.userId);
    return user && user.status === 'active' ? user : null;
  }

  bot.command('start', async (ctx) => {
    if (ctx.chat.type !== 'private') {
      await ctx.reply(
        'Agent OTP links private chats only: open a private chat with this bot and send /start CODE there.',
      );
      return;
    }
    const code = ctx.match.trim();
    if (code === '') {
      const user = await linkedUser(ctx);
      await ctx.reply(user ? `This chat is linked to ${user.name}. /status lists what waits for you.` : HELP);
      return;
    }
    const from = ctx.from;
    const label = from?.username ? `@${from.username}` : (from?.first_name ?? null);
    const result = await links.redeem(code, { chatId: String(ctx.chat.id), chatLabel: label });
    if (!result) {
      logger.info({ chatId: ctx.chat.id }, 'telegram link refused: unknown, used or expired code');
      await ctx.reply(
        'This code is unknown, already used or expired. Get a new one and send /start CODE again.',
      );
      return;
    }
    const note = canDecide(result.user)
      ? 'Pending requests will arrive here with Approve / Deny buttons.'
      : `Your role (${result.user.role}) cannot decide requests, so none will arrive here.`;
    await ctx.reply(`Linked to ${result.user.name}. ${note}`);
  });

  bot.command('help', (ctx) => ctx.reply(HELP));

  bot.command('status', async (ctx) => {
    const user = await linkedUser(ctx);
    if (!user) return void (await ctx.reply(NOT_LINKED));
    if (!canDecide(user)) return void (await ctx.reply(`As ${user.role}, ${user.name} decides no requests.`));
    const page = await store.listPermissions({ status: 'pending', limit: 20 });
    const now = clock.now();
    const pending = page.items.filter((p) => p.expiresAt > now);
    if (pending.length === 0) return void (await ctx.reply('Nothing is waiting for a decision.'));
    const lines = pending.map(
      (p) =>
        `• ${p.action}${p.resource ? ` on ${p.resource}` : ''} — ${p.id}, until ${new Date(p.expiresAt).toISOString()}`,
    );
    await ctx.reply([`${pending.length} pending request(s):`, ...lines].join('\n'));
  });

  bot.on('callback_query:data', async (ctx) => {
    const answer = (text: string) => ctx.answerCallbackQuery({ text, show_alert: false });
    const parsed = parseCallbackData(ctx.callbackQuery.data);
    const chatId = ctx.callbackQuery.message?.chat.id;
    if (!parsed || chatId === undefined) return void (await answer('This button is not valid.'));
    const user = await linkedUser(ctx);
    if (!user) return void (await answer('This chat is not linked to an Agent OTP user.'));
    const message = await store.getTelegramMessage(parsed.messageId);
    // The button must be one we sent to this chat, for this chat's user.
    if (!message || message.chatId !== String(chatId) || message.userId !== user.id) {
      logger.warn({ chatId, userId: user.id }, 'telegram tap refused: callback data not issued to this chat');
      return void (await answer('This button is not valid.'));
    }
    try {
      const outcome =
        parsed.decision === 'approve'
          ? await approvals.approve(user, message.permissionId)
          : await approvals.deny(user, message.permissionId);
      const text =
        outcome.outcome === 'approved'
          ? 'Approved.'
          : outcome.outcome === 'denied'
            ? 'Denied.'
            : `Your ${parsed.decision} is recorded.`;
      await answer(text);
    } catch (error) {
      if (!(error instanceof AgentOtpError)) throw error;
      await answer(error.message.slice(0, 190));
    }
  });

  // Anything else: a hint, and for unlinked chats no data at all.
  bot.on('message', async (ctx) => {
    const user = await linkedUser(ctx);
    await ctx.reply(user ? HELP : NOT_LINKED);
  });

  bot.catch((error) =>
    logger.error({ err: error.error, updateId: error.ctx.update.update_id }, 'telegram update failed'),
  );
  return bot;
}
