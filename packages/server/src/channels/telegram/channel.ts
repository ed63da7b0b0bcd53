import type { ApprovalService, Clock, PermissionEvents, Store } from '@agent-otp/core';
import type { Logger } from 'pino';
import { createTelegramBot } from './bot.ts';
import type { TelegramConfig } from './config.ts';
import type { TelegramLinks } from './link-service.ts';
import { createTelegramNotifier } from './notifier.ts';
import { createSendQueue } from './send-queue.ts';
import { telegramWebhookRoutes } from './webhook.ts';

export interface TelegramChannelDeps {
  config: TelegramConfig;
  store: Store;
  events: PermissionEvents;
  approvals: ApprovalService;
  links: TelegramLinks;
  clock: Clock;
  logger: Logger;
  publicUrl: () => string;
}

const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/**
 * The Telegram approval channel: the bot, the notifier that sends and edits approval messages,
 * and either a long-polling loop or a webhook route. `start()` starts everything for a single
 * instance. In a cluster, only one instance may poll: run `notifier` and the webhook everywhere
 * and hand `poller.start` / `poller.stop` to the leader lease instead of calling `start()`.
 */
export function createTelegramChannel(deps: TelegramChannelDeps) {
  const { config, logger } = deps;
  const log = logger.child({ channel: 'telegram' });
  const bot = createTelegramBot({ ...deps, logger: log, botToken: config.botToken, apiRoot: config.apiRoot });
  const queue = createSendQueue({ logger: log });
  const notifier = createTelegramNotifier({ ...deps, api: bot.api, queue, logger: log });

  let polling: Promise<void> | null = null;
  let wantPolling = false;
  /** Long polling with getUpdates; restarts after a failure until stopped. */
  const poller = {
    start() {
      if (wantPolling) return;
      wantPolling = true;
      polling = (async () => {
        for (let attempt = 1; wantPolling; attempt++) {
          try {
            await bot.start({
              timeout: config.pollTimeoutSeconds,
              allowed_updates: [...ALLOWED_UPDATES],
              // bot.start() first calls getMe and deleteWebhook; a stop() during those finds the
              // bot not yet running, so polling that begins after a stop ends here at once.
              onStart: () => {
                if (!wantPolling) void bot.stop();
              },
            });
            attempt = 0;
          } catch (error) {
            if (!wantPolling) break;
            const delay = Math.min(1000 * 2 ** attempt, 60_000);
            log.error({ err: error, retryInMs: delay }, 'telegram polling failed');
            await new Promise((resolve) => setTimeout(resolve, delay).unref());
          }
        }
      })();
    },
    async stop() {
      wantPolling = false;
      if (bot.isRunning())
        await bot.stop().catch((error) => log.warn({ err: error }, 'telegram stop failed'));
      await polling;
      polling = null;
    },
    isRunning: () => bot.isRunning(),
  };

  /** Webhook mode: learn who the bot is, then point Telegram at us, retrying until it works. */
  let webhookStarted = false;
  let webhookStopped = false;
  async function setWebhook() {
    for (let attempt = 1; !webhookStopped; attempt++) {
      try {
        await bot.init();
        await bot.api.setWebhook(config.webhookUrl as string, {
          secret_token: config.webhookSecret as string,
          allowed_updates: [...ALLOWED_UPDATES],
        });
        log.info('telegram webhook set');
        return;
      } catch (error) {
        const delay = Math.min(1000 * 2 ** attempt, 60_000);
        log.error({ err: error, retryInMs: delay }, 'telegram webhook setup failed');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }

  const routes = config.webhookUrl
    ? telegramWebhookRoutes({
        path: new URL(config.webhookUrl).pathname,
        secret: config.webhookSecret as string,
        bot,
        ready: () => bot.isInited(),
        logger: log,
      })
    : null;

  return {
    bot,
    notifier,
    poller,
    queue,
    /** Routes to mount on the server (webhook mode), or null. */
    routes,
    mode: config.webhookUrl ? ('webhook' as const) : ('polling' as const),
    /** Starts sending notifications and receiving updates (polling or webhook). */
    start() {
      notifier.start();
      if (config.webhookUrl) {
        if (!webhookStarted) void setWebhook();
        webhookStarted = true;
      } else poller.start();
    },
    async stop() {
      notifier.stop();
      webhookStopped = true;
      await poller.stop();
      queue.stop();
    },
  };
}

export type TelegramChannel = ReturnType<typeof createTelegramChannel>;
