import { type Clock, createWebhookService, type PermissionEvents, type Store } from '@agent-otp/core';
import type { Logger } from 'pino';
import type { Links } from '../../routes/presenters.ts';
import type { WebhookConfig } from './webhook-config.ts';
import { createWebhookDispatcher } from './webhook-dispatcher.ts';
import { createWebhookWorker } from './webhook-worker.ts';

export type { WebhookConfig } from './webhook-config.ts';
export { WebhookEnvSchema, webhookConfig } from './webhook-config.ts';

export interface WebhookChannelDeps {
  store: Store;
  events: PermissionEvents;
  clock: Clock;
  logger: Logger;
  links: Links;
  serverSecret: Uint8Array | string;
  config: WebhookConfig;
}

/**
 * Outgoing webhooks, wired in one place: the admin service (CLI, dashboard), the dispatcher that
 * queues events (every process that changes permissions, the CLI included) and the worker that
 * sends them (the server only; a singleton job a cluster leader may own, safe without one).
 */
export function createWebhookChannel(deps: WebhookChannelDeps) {
  const service = createWebhookService(deps);
  const worker = createWebhookWorker({ ...deps, webhooks: service });
  const dispatcher = createWebhookDispatcher({ ...deps, onQueued: () => worker.wake() });
  return { service, dispatcher, worker };
}

export type WebhookChannel = ReturnType<typeof createWebhookChannel>;
