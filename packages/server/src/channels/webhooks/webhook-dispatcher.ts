import {
  type Clock,
  newId,
  type PermissionChange,
  type PermissionEvents,
  type Store,
  type WebhookDelivery,
  webhookEventId,
  webhookEventsOf,
} from '@agent-otp/core';
import type { Logger } from 'pino';
import { type Links, presentRead } from '../../routes/presenters.ts';

export interface WebhookDispatcherDeps {
  store: Store;
  events: PermissionEvents;
  clock: Clock;
  logger: Logger;
  links: Links;
  /** Called after new deliveries were queued (wakes the worker instead of waiting for its poll). */
  onQueued?: () => void;
}

/**
 * Turns permission changes into queued deliveries: one row per webhook and event, in the
 * database, so that from here on a restart loses nothing. The body is built once, from the
 * permission as its agent reads it (never a token), and every retry sends the same bytes.
 */
export function createWebhookDispatcher({
  store,
  events,
  clock,
  logger,
  links,
  onQueued,
}: WebhookDispatcherDeps) {
  const inFlight = new Set<Promise<void>>();

  async function dispatch(change: PermissionChange): Promise<void> {
    const types = webhookEventsOf(change);
    if (types.length === 0) return;
    const webhooks = await store.listWebhooks();
    if (webhooks.length === 0) return;
    const permission = await store.getPermission(change.permissionId);
    if (!permission) return;
    const now = clock.now();
    const deliveries: WebhookDelivery[] = [];
    for (const type of types) {
      const eventId = webhookEventId(permission.id, type);
      const body = JSON.stringify({
        id: eventId,
        type,
        createdAt: new Date(now).toISOString(),
        data: presentRead(permission, links),
      });
      for (const webhook of webhooks) {
        if (!webhook.events.includes(type)) continue;
        deliveries.push({
          id: newId('webhookDelivery'),
          webhookId: webhook.id,
          eventId,
          eventType: type,
          permissionId: permission.id,
          body,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          leaseUntil: null,
          lastStatusCode: null,
          lastError: null,
          createdAt: now,
          updatedAt: now,
        });
      }
    }
    if ((await store.enqueueDeliveries(deliveries)) > 0) onQueued?.();
  }

  let unsubscribe: (() => void) | null = null;
  return {
    start() {
      unsubscribe ??= events.subscribeAll((change) => {
        // Never in the permission flow's way: the change has committed; a failure here is logged.
        const job = dispatch(change).catch((error: unknown) =>
          logger.error(
            { err: error, permissionId: change.permissionId },
            'webhook: queueing an event failed',
          ),
        );
        inFlight.add(job);
        void job.finally(() => inFlight.delete(job));
      });
    },
    /** Stops listening and waits for events already heard to be queued. */
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      await Promise.all([...inFlight]);
    },
    dispatch,
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
