import { createHash, timingSafeEqual } from 'node:crypto';
import { AgentOtpError } from '@agent-otp/core';
import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { Hono } from 'hono';
import type { Logger } from 'pino';

/** Telegram's updates are small; anything larger is not from Telegram. */
const MAX_UPDATE_BYTES = 256 * 1024;

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time: hashing first makes both sides the same length, so no length leaks either. */
export function secretMatches(presented: string | undefined, expected: string): boolean {
  return presented !== undefined && timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The webhook endpoint Telegram POSTs updates to, at the path of TELEGRAM_WEBHOOK_URL. An update
 * without the right X-Telegram-Bot-Api-Secret-Token is refused before it is read.
 */
export function telegramWebhookRoutes(options: {
  path: string;
  secret: string;
  bot: Bot;
  ready: () => boolean;
  logger: Logger;
}) {
  const { path, secret, bot, ready, logger } = options;
  const app = new Hono();
  app.post(path, async (c) => {
    if (!secretMatches(c.req.header('X-Telegram-Bot-Api-Secret-Token'), secret)) {
      logger.warn('telegram webhook refused: missing or wrong secret token');
      throw new AgentOtpError('UNAUTHORIZED', 'missing or wrong X-Telegram-Bot-Api-Secret-Token');
    }
    // Telegram retries what is not answered 2xx: until the bot knows itself, ask it to.
    if (!ready()) throw new AgentOtpError('SERVICE_UNAVAILABLE', 'the Telegram bot is starting');
    const raw = await c.req.text();
    if (raw.length > MAX_UPDATE_BYTES)
      throw new AgentOtpError('PAYLOAD_TOO_LARGE', 'the update is too large');
    let update: Update;
    try {
      update = JSON.parse(raw) as Update;
    } catch {
      throw new AgentOtpError('VALIDATION_ERROR', 'the body is not JSON');
    }
    if (typeof update !== 'object' || update === null || !Number.isInteger(update.update_id)) {
      throw new AgentOtpError('VALIDATION_ERROR', 'an update needs an integer update_id', {
        field: 'update_id',
      });
    }
    try {
      await bot.handleUpdate(update);
    } catch (error) {
      // Answered 200 all the same: a retry of an update that failed here would fail again.
      logger.error({ err: error, updateId: update.update_id }, 'telegram update failed');
    }
    return c.json({ ok: true });
  });
  return app;
}
