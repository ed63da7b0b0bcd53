import type { Clock, Store, WebhookDelivery, WebhookService } from '@agent-otp/core';
import { signWebhookBody } from '@agent-otp/core';
import type { Logger } from 'pino';
import { retryDelayMs, type WebhookConfig } from './webhook-config.ts';
import { sendWebhook } from './webhook-sender.ts';

export interface WebhookWorkerDeps {
  store: Store;
  webhooks: Pick<WebhookService, 'secretOf'>;
  clock: Clock;
  logger: Logger;
  config: WebhookConfig;
}

const BATCH = 20;

/**
 * Sends queued deliveries. start/stop make it a job a cluster leader can own; correctness does
 * not depend on there being one: every attempt is claimed by a compare-and-set on its attempt
 * count, so two workers (two instances, or a restarted one) never send the same attempt twice.
 * A claim holds a lease of timeout + a margin; a worker that dies mid-attempt leaves it to be
 * taken over when the lease runs out.
 */
export function createWebhookWorker({ store, webhooks, clock, logger, config }: WebhookWorkerDeps) {
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let again = false;
  let current: Promise<void> = Promise.resolve();
  const active = new Set<Promise<void>>();

  async function attempt(due: WebhookDelivery): Promise<void> {
    const now = clock.now();
    const claimed = await store.claimDelivery(due.id, due.attempts, now, now + config.timeoutMs + 30_000);
    if (!claimed) return; // another worker has it
    const webhook = await store.getWebhook(claimed.webhookId);
    if (!webhook) return; // removed meanwhile; its queue went with it
    const t = Math.floor(clock.now() / 1000);
    const signature = signWebhookBody(webhooks.secretOf(webhook), t, claimed.body);
    const startedAt = clock.now();
    const sent = await sendWebhook(webhook.url, claimed.body, signature, claimed.eventId, config);
    const ok = sent.error === null;
    const gaveUp = !ok && claimed.attempts >= config.maxAttempts;
    const at = clock.now();
    await store.completeDeliveryAttempt(
      {
        attempt: {
          deliveryId: claimed.id,
          webhookId: claimed.webhookId,
          attempt: claimed.attempts,
          startedAt,
          durationMs: sent.durationMs,
          statusCode: sent.statusCode,
          error: sent.error,
        },
        status: ok ? 'succeeded' : gaveUp ? 'failed' : 'pending',
        nextAttemptAt: ok || gaveUp ? at : at + retryDelayMs(config, claimed.attempts),
      },
      at,
    );
    const log = {
      webhookId: webhook.id,
      deliveryId: claimed.id,
      eventId: claimed.eventId,
      attempt: claimed.attempts,
    };
    if (ok)
      logger.debug({ ...log, statusCode: sent.statusCode, durationMs: sent.durationMs }, 'webhook delivered');
    else
      logger.warn(
        { ...log, statusCode: sent.statusCode, error: sent.error, gaveUp },
        'webhook attempt failed',
      );
  }

  /** One pass: claims and sends what is due now, in parallel (a slow receiver delays no one else's). */
  async function runOnce(): Promise<void> {
    const due = await store.listDueDeliveries(clock.now(), BATCH);
    await Promise.all(
      due.map((d) => {
        const job = attempt(d).catch((error: unknown) =>
          logger.error({ err: error, deliveryId: d.id }, 'webhook: delivery attempt crashed'),
        );
        active.add(job);
        return job.finally(() => active.delete(job));
      }),
    );
  }

  function tick(): void {
    if (running) {
      again = true;
      return;
    }
    running = true;
    current = (async () => {
      try {
        do {
          again = false;
          await runOnce();
        } while (again && timer);
      } catch (error) {
        logger.error({ err: error }, 'webhook: worker pass failed');
      } finally {
        running = false;
      }
    })();
  }

  return {
    start() {
      if (timer) return;
      timer = setInterval(tick, config.pollMs);
      timer.unref();
      tick();
    },
    /** Stops polling and waits for attempts in progress to finish (or time out). */
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await current;
      await Promise.all([...active]);
    },
    /** Looks for due work now (after new events were queued). */
    wake() {
      if (timer) tick();
    },
    runOnce,
  };
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
