import { createFixedClock, type User } from '@agent-otp/core';
import { startTestServer, type TestServer } from '../src/index.ts';
import {
  BOT_TOKEN,
  startTelegramStandIn,
  type TelegramStandIn,
  type TgMessage,
} from './telegram-stand-in.ts';

export const POLICY = `
- name: "Emails need approval"
  conditions: { action: { equals: "gmail.send" } }
  action: require_approval
- name: "Payments need two approvers"
  conditions: { action: { startsWith: "bank." } }
  action: require_approval
  approvals: 2
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

/** Polls `check` until it returns a truthy value; fails with `what` after `ms`. */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  ms = 8000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface Harness {
  tg: TelegramStandIn;
  server: TestServer;
  clock: ReturnType<typeof createFixedClock>;
  agent: { id: string; apiKey: string };
  /** Creates a user and links a new Telegram person to them through /start CODE. */
  linkedUser(name: string, telegramId: number, role?: User['role']): Promise<LinkedUser>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers field by field
  request(body: Record<string, unknown>): Promise<{ status: number; body: any }>;
  /** GET /api/v1/permissions/:id?wait=N as the agent. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers field by field
  wait(id: string, seconds: number): Promise<{ status: number; body: any }>;
  /** The bot's latest message in a chat about this permission, once it has arrived. */
  messageFor(chatId: number, permissionId: string): Promise<TgMessage>;
  close(): Promise<void>;
}

export interface LinkedUser {
  user: User;
  person: ReturnType<TelegramStandIn['person']>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const tg = await startTelegramStandIn();
  const clock = createFixedClock(Date.now());
  // A server that refuses to start must not leave the stand-in listening (the test would never exit).
  const server = await startTestServer({
    policy: POLICY,
    env: {
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: tg.url,
      TELEGRAM_POLL_TIMEOUT: '1',
      AGENT_OTP_PUBLIC_URL: 'https://otp.example.com',
      AGENT_OTP_SWEEP_INTERVAL_MS: '100',
      ...env,
    },
    runtime: { clock },
  }).catch(async (error: unknown) => {
    await tg.close();
    throw error;
  });
  const agent = await server.createAgent('mailer');
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${agent.apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers field by field
    return { status: response.status, body: (await response.json()) as any };
  };
  return {
    tg,
    server,
    clock,
    agent,
    async linkedUser(name, telegramId, role = 'approver') {
      const rt = server.runtime;
      const { user } = await rt.users.create({ name, role }, { type: 'system', id: 'test' });
      const { code } = await rt.telegramLinks.createCode(user, { type: 'system', id: 'test' });
      const person = tg.person(telegramId, name);
      tg.sendText(person, `/start ${code}`);
      await until(`${name}'s link`, () => rt.store.getTelegramLinkByChat(String(telegramId)));
      await until(`the bot's reply to ${name}`, () =>
        tg.messagesIn(telegramId).some((m) => m.text?.startsWith(`Linked to ${name}.`)),
      );
      return { user, person };
    },
    request: (body) => api('POST', '/api/v1/permissions/request', body),
    wait: (id, seconds) => api('GET', `/api/v1/permissions/${id}?wait=${seconds}`),
    messageFor: (chatId, permissionId) =>
      until(`the message about ${permissionId} in ${chatId}`, () =>
        tg.messagesIn(chatId).find((m) => m.text?.includes(permissionId)),
      ),
    async close() {
      await server.close();
      await tg.close();
    },
  };
}

/** The callback data of a message's button whose label contains `label`. */
export function buttonData(message: TgMessage, label: string): string {
  const button = message.reply_markup?.inline_keyboard.flat().find((b) => b.text.includes(label));
  if (!button?.callback_data) throw new Error(`no ${label} button with callback data`);
  return button.callback_data;
}

/** The text of the last answerCallbackQuery the bot made. */
export function lastAnswer(tg: TelegramStandIn): string | undefined {
  return tg.callsOf('answerCallbackQuery').at(-1)?.params.text;
}
