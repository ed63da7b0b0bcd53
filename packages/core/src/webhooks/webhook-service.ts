import type { Clock } from '../clock.ts';
import { AgentOtpError } from '../errors.ts';
import { isId, newId } from '../ids.ts';
import type { Store } from '../store.ts';
import type { Actor, AuditEventInput, JsonObject } from '../types.ts';
import {
  WEBHOOK_EVENT_TYPES,
  type Webhook,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookEventType,
} from './types.ts';
import { deriveWebhookSecret, newWebhookSalt } from './webhook-signature.ts';
import { validateWebhookUrl } from './webhook-url.ts';

export interface WebhookServiceDeps {
  store: Store;
  clock: Clock;
  serverSecret: Uint8Array | string;
}

export interface AddWebhookInput {
  url: string;
  /** Event types to send; all of them when absent or empty. */
  events?: readonly string[];
}

const MAX_WEBHOOKS = 100;

/**
 * Outgoing webhooks, administered from the CLI and the dashboard (admins only). The signing
 * secret is returned once, by `add`; afterwards only the server derives it, to sign.
 */
export function createWebhookService({ store, clock, serverSecret }: WebhookServiceDeps) {
  const audit = (event: string, actor: Actor, details: JsonObject): AuditEventInput => ({
    id: newId('audit'),
    at: clock.now(),
    event,
    actor,
    agentId: null,
    permissionId: null,
    policyVersion: null,
    details,
  });

  function parseEvents(events: readonly string[] | undefined): WebhookEventType[] {
    if (!events || events.length === 0) return [...WEBHOOK_EVENT_TYPES];
    const unknown = events.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
    if (unknown.length > 0) {
      throw new AgentOtpError(
        'VALIDATION_ERROR',
        `unknown event type ${unknown.map((e) => JSON.stringify(e)).join(', ')}; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
        { field: 'events' },
      );
    }
    return WEBHOOK_EVENT_TYPES.filter((e) => events.includes(e));
  }

  async function find(id: string): Promise<Webhook> {
    const found = isId('webhook', id) ? await store.getWebhook(id) : null;
    if (!found) throw new AgentOtpError('NOT_FOUND', `webhook ${id} not found`);
    return found;
  }

  async function add(input: AddWebhookInput, actor: Actor): Promise<{ webhook: Webhook; secret: string }> {
    const url = validateWebhookUrl(input.url);
    const events = parseEvents(input.events);
    if ((await store.listWebhooks()).length >= MAX_WEBHOOKS) {
      throw new AgentOtpError('CONFLICT', `at most ${MAX_WEBHOOKS} webhooks; remove one first`);
    }
    const webhook: Webhook = {
      id: newId('webhook'),
      url,
      events,
      salt: newWebhookSalt(),
      createdAt: clock.now(),
      createdBy: `${actor.type}:${actor.id}`,
    };
    // The audit names the receiver's origin and path, not its query, which may carry a key.
    await store.createWebhook(
      webhook,
      audit('webhook.created', actor, { webhookId: webhook.id, url: auditUrl(url), events }),
    );
    return { webhook, secret: secretOf(webhook) };
  }

  async function remove(id: string, actor: Actor): Promise<Webhook> {
    const webhook = await find(id);
    const removed = await store.deleteWebhook(
      webhook.id,
      audit('webhook.removed', actor, { webhookId: webhook.id, url: auditUrl(webhook.url) }),
    );
    if (!removed) throw new AgentOtpError('NOT_FOUND', `webhook ${id} not found`);
    return webhook;
  }

  /** A webhook's recent deliveries, newest first, each with its attempts. */
  async function deliveries(
    id: string,
    limit = 50,
  ): Promise<Array<WebhookDelivery & { attemptLog: WebhookAttempt[] }>> {
    const webhook = await find(id);
    const list = await store.listDeliveries(webhook.id, Math.min(Math.max(limit, 1), 200));
    return Promise.all(list.map(async (d) => ({ ...d, attemptLog: await store.listDeliveryAttempts(d.id) })));
  }

  /** The signing secret, derived again (for the delivery worker). */
  function secretOf(webhook: Pick<Webhook, 'id' | 'salt'>): string {
    return deriveWebhookSecret(serverSecret, webhook.id, webhook.salt);
  }

  return { add, list: () => store.listWebhooks(), find, remove, deliveries, secretOf };
}

function auditUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export type WebhookService = ReturnType<typeof createWebhookService>;
