import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in of the Telegram Bot API (https://core.telegram.org/bots/api) on 127.0.0.1,
 * answering what the real one answers for the methods the bot uses, in the same JSON shapes:
 * `{ok: true, result}` or `{ok: false, error_code, description, parameters?}`. It records every
 * call, holds getUpdates long polls open until an update arrives or `timeout` passes, confirms
 * updates by `offset`, and lets a test inject updates shaped like Telegram's and make the next
 * call of a method fail (a 429 with `parameters.retry_after`, say).
 */

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}
export interface TgChat {
  id: number;
  type: 'private' | 'group';
  first_name?: string;
  username?: string;
  title?: string;
}
export interface TgMessage {
  message_id: number;
  from?: TgUser;
  chat: TgChat;
  date: number;
  text?: string;
  edit_date?: number;
  reply_markup?: { inline_keyboard: Array<Array<{ text: string; callback_data?: string; url?: string }>> };
}
export interface TgCall {
  method: string;
  // biome-ignore lint/suspicious/noExplicitAny: recorded request parameters, read field by field
  params: any;
  at: number;
}

type Failure = { error_code: number; description: string; parameters?: { retry_after?: number } };

export const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_test';
const BOT: TgUser & Record<string, unknown> = {
  id: 123456789,
  is_bot: true,
  first_name: 'Agent OTP',
  username: 'agent_otp_test_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
};

export async function startTelegramStandIn() {
  const calls: TgCall[] = [];
  const updates: Array<{ update_id: number } & Record<string, unknown>> = [];
  const messages = new Map<string, TgMessage>(); // `${chat}:${message_id}`
  const chats = new Map<number, TgChat>();
  const openQueries = new Set<string>();
  const failures = new Map<string, Failure[]>();
  const waiters = new Set<() => void>();
  let nextUpdateId = 100_000;
  let nextMessageId = 1;
  let nextQueryId = 1;
  let webhook: { url: string; secret_token?: string } | null = null;

  const now = () => Math.floor(Date.now() / 1000);
  const wakeAll = () => {
    for (const wake of [...waiters]) wake();
  };
  const pushUpdate = (update: Record<string, unknown>) => {
    const full = { update_id: nextUpdateId++, ...update };
    updates.push(full);
    wakeAll();
    return full;
  };
  const bad = (description: string): Failure => ({
    error_code: 400,
    description: `Bad Request: ${description}`,
  });

  // biome-ignore lint/suspicious/noExplicitAny: Bot API parameters are loosely typed JSON
  async function handle(method: string, params: any, req: IncomingMessage): Promise<unknown | Failure> {
    switch (method) {
      case 'getMe':
        return BOT;
      case 'setWebhook':
        if (typeof params.url !== 'string') return bad('bad webhook: URL must be provided for webhook');
        webhook = params.url === '' ? null : { url: params.url, secret_token: params.secret_token };
        return true;
      case 'deleteWebhook':
        webhook = null;
        if (params.drop_pending_updates) updates.length = 0;
        return true;
      case 'getWebhookInfo':
        return {
          url: webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: updates.length,
        };
      case 'getUpdates': {
        if (webhook) {
          return {
            error_code: 409,
            description:
              "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
          };
        }
        const offset = Number(params.offset ?? 0);
        // An offset confirms every update below it: they are never returned again.
        if (offset > 0) while (updates.length > 0 && (updates[0]?.update_id ?? 0) < offset) updates.shift();
        const timeout = Math.min(Number(params.timeout ?? 0), 50);
        if (updates.length === 0 && timeout > 0) {
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              waiters.delete(done);
              resolve();
            };
            const timer = setTimeout(done, timeout * 1000);
            waiters.add(done);
            req.once('close', done);
          });
        }
        const limit = Math.min(Number(params.limit ?? 100) || 100, 100);
        return updates.slice(0, limit);
      }
      case 'sendMessage': {
        const chat = chats.get(Number(params.chat_id));
        if (!chat) return bad('chat not found');
        const markupError = checkMarkup(params.reply_markup);
        if (markupError) return bad(markupError);
        if (typeof params.text !== 'string' || params.text.length === 0) return bad('message text is empty');
        if (params.text.length > 4096) return bad('message is too long');
        const message: TgMessage = {
          message_id: nextMessageId++,
          from: BOT,
          chat,
          date: now(),
          text: params.text,
          ...(params.reply_markup?.inline_keyboard?.length ? { reply_markup: params.reply_markup } : {}),
        };
        messages.set(`${chat.id}:${message.message_id}`, message);
        return message;
      }
      case 'editMessageText': {
        const message = messages.get(`${params.chat_id}:${params.message_id}`);
        if (!message) return bad('message to edit not found');
        const markupError = checkMarkup(params.reply_markup);
        if (markupError) return bad(markupError);
        const markup = params.reply_markup?.inline_keyboard?.length ? params.reply_markup : undefined;
        if (message.text === params.text && JSON.stringify(message.reply_markup) === JSON.stringify(markup)) {
          return bad(
            'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
          );
        }
        message.text = params.text;
        message.edit_date = now();
        if (markup) message.reply_markup = markup;
        else delete message.reply_markup;
        return message;
      }
      case 'answerCallbackQuery':
        if (!openQueries.delete(String(params.callback_query_id))) {
          return bad('query is too old and response timeout expired or query ID is invalid');
        }
        return true;
      default:
        return { error_code: 404, description: 'Not Found' };
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: Bot API parameters are loosely typed JSON
  function checkMarkup(markup: any): string | null {
    for (const row of markup?.inline_keyboard ?? []) {
      for (const button of row) {
        if (button.callback_data !== undefined && Buffer.byteLength(button.callback_data) > 64) {
          return 'BUTTON_DATA_INVALID';
        }
        if (button.url !== undefined && !/^https?:\/\/[^/]*\.[^/]+/.test(button.url))
          return 'BUTTON_URL_INVALID';
        if (/^https?:\/\/(localhost|127\.)/.test(button.url ?? '')) return 'BUTTON_URL_INVALID';
      }
    }
    return null;
  }

  async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    if (text === '') return query;
    if ((req.headers['content-type'] ?? '').includes('application/json'))
      return { ...query, ...JSON.parse(text) };
    return { ...query, ...Object.fromEntries(new URLSearchParams(text)) };
  }

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const match = /^\/bot([^/]+)\/(\w+)/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!match) return send(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = match as unknown as [string, string, string];
    if (token !== BOT_TOKEN) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const params = await body(req);
    calls.push({ method, params, at: Date.now() });
    const failure = failures.get(method)?.shift();
    if (failure) return send(failure.error_code, { ok: false, ...failure });
    const result = await handle(method, params, req);
    if (res.destroyed) return;
    if (result && typeof result === 'object' && 'error_code' in result && 'description' in result) {
      return send((result as Failure).error_code, { ok: false, ...(result as Failure) });
    }
    send(200, { ok: true, result });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** A person with a private chat with the bot. */
  function person(id: number, name: string) {
    const user: TgUser = { id, is_bot: false, first_name: name, username: name.toLowerCase() };
    const chat: TgChat = { id, type: 'private', first_name: name, username: user.username };
    chats.set(id, chat);
    return { user, chat };
  }

  return {
    url,
    calls,
    person,
    callsOf: (method: string) => calls.filter((c) => c.method === method),
    webhook: () => webhook,
    /** Messages the bot has in a chat, oldest first. */
    messagesIn: (chatId: number) => [...messages.values()].filter((m) => m.chat.id === chatId),
    /** The update Telegram sends when a person writes `text` (commands get their entity). */
    sendText(from: { user: TgUser; chat: TgChat }, text: string, chat: TgChat = from.chat) {
      const command = /^\/\w+/.exec(text);
      const message: TgMessage & Record<string, unknown> = {
        message_id: nextMessageId++,
        from: from.user,
        chat,
        date: now(),
        text,
        ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
      };
      return pushUpdate({ message });
    },
    /** The update Telegram sends when a person taps an inline button with `data` on `message`. */
    tap(from: { user: TgUser }, message: TgMessage, data: string) {
      const id = String(nextQueryId++ * 1_000_003);
      openQueries.add(id);
      return pushUpdate({
        callback_query: {
          id,
          from: from.user,
          message: structuredClone(message),
          chat_instance: `ci-${message.chat.id}`,
          data,
        },
      });
    },
    /** Builds an update without queueing it (for webhook deliveries). */
    makeUpdate(update: Record<string, unknown>) {
      return { update_id: nextUpdateId++, ...update };
    },
    /** Makes the next calls of `method` fail with these errors, in order. */
    failNext(method: string, ...errors: Failure[]) {
      failures.set(method, [...(failures.get(method) ?? []), ...errors]);
    },
    /** Whether the update queue is empty (every update was fetched and confirmed). */
    pendingUpdates: () => updates.length,
    async close() {
      wakeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TelegramStandIn = Awaited<ReturnType<typeof startTelegramStandIn>>;
