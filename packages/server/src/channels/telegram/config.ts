import { z } from 'zod';

/** The Telegram channel's settings; null in Config when TELEGRAM_BOT_TOKEN is not set. */
export interface TelegramConfig {
  botToken: string;
  /** Base URL of the Bot API (a local Bot API server, or a test stand-in). */
  apiRoot: string;
  /** Null: long polling. Otherwise Telegram POSTs updates here, served by this server. */
  webhookUrl: string | null;
  /** Telegram echoes it in X-Telegram-Bot-Api-Secret-Token; required in webhook mode. */
  webhookSecret: string | null;
  /** Seconds a getUpdates long poll is held open. */
  pollTimeoutSeconds: number;
}

const TelegramEnv = z.object({
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'must look like 123456:ABC… (the token BotFather gives)')
    .optional(),
  TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
  TELEGRAM_WEBHOOK_URL: z.url().optional(),
  // Telegram allows 1-256 characters A-Z a-z 0-9 _ -; fewer than 24 would be guessable.
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{24,256}$/, 'must be 24-256 characters of A-Z a-z 0-9 _ -')
    .optional(),
  TELEGRAM_POLL_TIMEOUT: z.coerce.number().int().min(0).max(50).default(30),
});

/** Parses the TELEGRAM_* variables; returns the problems (naming the variable) instead of throwing. */
export function parseTelegramEnv(env: Record<string, string | undefined>): {
  config: TelegramConfig | null;
  errors: string[];
} {
  const parsed = TelegramEnv.safeParse(env);
  if (!parsed.success) {
    return { config: null, errors: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  }
  const e = parsed.data;
  if (!e.TELEGRAM_BOT_TOKEN) return { config: null, errors: [] };
  if (e.TELEGRAM_WEBHOOK_URL && !e.TELEGRAM_WEBHOOK_SECRET) {
    return {
      config: null,
      errors: ['TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set (webhook mode)'],
    };
  }
  if (e.TELEGRAM_WEBHOOK_URL && !e.TELEGRAM_WEBHOOK_URL.startsWith('https://')) {
    return { config: null, errors: ['TELEGRAM_WEBHOOK_URL: Telegram only delivers webhooks over https'] };
  }
  return {
    config: {
      botToken: e.TELEGRAM_BOT_TOKEN,
      apiRoot: e.TELEGRAM_API_ROOT.replace(/\/$/, ''),
      webhookUrl: e.TELEGRAM_WEBHOOK_URL ?? null,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET ?? null,
      pollTimeoutSeconds: e.TELEGRAM_POLL_TIMEOUT,
    },
    errors: [],
  };
}
