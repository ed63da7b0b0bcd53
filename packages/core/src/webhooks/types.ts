/** The events a webhook can subscribe to (SPEC §6). */
export const WEBHOOK_EVENT_TYPES = [
  'permission.requested',
  'permission.approved',
  'permission.denied',
  'permission.expired',
  'permission.used',
  'permission.revoked',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * A registered receiver. The signing secret is not stored: it is derived from the server secret
 * and `salt` (see webhook-secret.ts), so a copy of the database alone cannot sign or verify.
 */
export interface Webhook {
  id: string;
  url: string;
  /** The event types it receives; every type when it was added without a filter. */
  events: WebhookEventType[];
  salt: string;
  createdAt: number;
  createdBy: string;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed';

/**
 * One event for one webhook: the body is fixed when the event is queued, so every retry sends
 * the same bytes with the same event id, and receivers can dedupe by it.
 */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: WebhookEventType;
  permissionId: string;
  body: string;
  status: DeliveryStatus;
  /** Attempts started so far; the claim of attempt N is a compare-and-set on N-1. */
  attempts: number;
  nextAttemptAt: number;
  /** While `delivering`: after this instant another worker may take the attempt over. */
  leaseUntil: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The record of one attempt: what the receiver answered, or why there was no answer. */
export interface WebhookAttempt {
  deliveryId: string;
  webhookId: string;
  attempt: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

/** How an attempt ended, as the worker reports it to completeDeliveryAttempt. */
export interface AttemptResult {
  attempt: WebhookAttempt;
  /** `succeeded`, `failed` (gave up) or `pending` (retry at `nextAttemptAt`). */
  status: 'succeeded' | 'failed' | 'pending';
  nextAttemptAt: number;
}
