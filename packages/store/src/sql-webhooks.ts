import type { Store, Webhook, WebhookAttempt, WebhookDelivery, WebhookEventType } from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import type { SqlDriver } from './sql-driver.ts';

type WebhookMethods = Pick<
  Store,
  | 'createWebhook'
  | 'getWebhook'
  | 'listWebhooks'
  | 'deleteWebhook'
  | 'enqueueDeliveries'
  | 'listDueDeliveries'
  | 'claimDelivery'
  | 'completeDeliveryAttempt'
  | 'listDeliveries'
  | 'listDeliveryAttempts'
>;

interface WebhookRow {
  id: string;
  url: string;
  events: string;
  salt: string;
  created_at: number | string;
  created_by: string;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  permission_id: string;
  body: string;
  status: string;
  attempts: number | string;
  next_attempt_at: number | string;
  lease_until: number | string | null;
  last_status_code: number | string | null;
  last_error: string | null;
  created_at: number | string;
  updated_at: number | string;
}

interface AttemptRow {
  delivery_id: string;
  webhook_id: string;
  attempt: number | string;
  started_at: number | string;
  duration_ms: number | string;
  status_code: number | string | null;
  error: string | null;
}

const WEBHOOK_COLUMNS = 'id, url, events, salt, created_at, created_by';
const DELIVERY_COLUMNS =
  'id, webhook_id, event_id, event_type, permission_id, body, status, attempts, next_attempt_at, ' +
  'lease_until, last_status_code, last_error, created_at, updated_at';
const ATTEMPT_COLUMNS = 'delivery_id, webhook_id, attempt, started_at, duration_ms, status_code, error';

// Due: waiting for its time, or taken by a worker whose lease ran out (it died mid-attempt).
const DUE = "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'delivering' AND lease_until <= ?))";

// PostgreSQL returns bigint columns as strings; SQLite as numbers.
const num = (v: number | string) => Number(v);
const numOrNull = (v: number | string | null) => (v === null ? null : Number(v));

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  url: r.url,
  events: JSON.parse(r.events) as WebhookEventType[],
  salt: r.salt,
  createdAt: num(r.created_at),
  createdBy: r.created_by,
});

const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type as WebhookEventType,
  permissionId: r.permission_id,
  body: r.body,
  status: r.status as WebhookDelivery['status'],
  attempts: num(r.attempts),
  nextAttemptAt: num(r.next_attempt_at),
  leaseUntil: numOrNull(r.lease_until),
  lastStatusCode: numOrNull(r.last_status_code),
  lastError: r.last_error,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const toAttempt = (r: AttemptRow): WebhookAttempt => ({
  deliveryId: r.delivery_id,
  webhookId: r.webhook_id,
  attempt: num(r.attempt),
  startedAt: num(r.started_at),
  durationMs: num(r.duration_ms),
  statusCode: numOrNull(r.status_code),
  error: r.error,
});

/** Outgoing webhooks and their delivery queue (see the Store port). */
export function sqlWebhookMethods(driver: SqlDriver, writer: AuditWriter): WebhookMethods {
  return {
    createWebhook(webhook, audit) {
      return driver.transaction(async (tx) => {
        await tx.run(`INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, [
          webhook.id,
          webhook.url,
          JSON.stringify(webhook.events),
          webhook.salt,
          webhook.createdAt,
          webhook.createdBy,
        ]);
        await writer.append(tx, [audit]);
      });
    },
    async getWebhook(id) {
      const row = await driver.get<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?`, [id]);
      return row ? toWebhook(row) : null;
    },
    async listWebhooks() {
      const rows = await driver.all<WebhookRow>(
        `SELECT ${WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, id`,
      );
      return rows.map(toWebhook);
    },
    deleteWebhook(id, audit) {
      return driver.transaction(async (tx) => {
        // Explicit, not left to ON DELETE CASCADE alone: a SQLite connection opened without
        // foreign_keys would otherwise keep the queue of a removed webhook.
        await tx.run(
          'DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = ?)',
          [id],
        );
        await tx.run('DELETE FROM webhook_deliveries WHERE webhook_id = ?', [id]);
        const { changes } = await tx.run('DELETE FROM webhooks WHERE id = ?', [id]);
        if (changes === 0) return false;
        await writer.append(tx, [audit]);
        return true;
      });
    },
    enqueueDeliveries(deliveries) {
      if (deliveries.length === 0) return Promise.resolve(0);
      return driver.transaction(async (tx) => {
        let queued = 0;
        for (const d of deliveries) {
          // Read in the transaction: a webhook removed meanwhile gets nothing queued (and on
          // PostgreSQL the foreign key refuses a row racing its removal).
          const exists = await tx.get('SELECT 1 AS ok FROM webhooks WHERE id = ?', [d.webhookId]);
          if (!exists) continue;
          const { changes } = await tx.run(
            `INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
              'ON CONFLICT (webhook_id, event_id) DO NOTHING',
            [
              d.id,
              d.webhookId,
              d.eventId,
              d.eventType,
              d.permissionId,
              d.body,
              d.status,
              d.attempts,
              d.nextAttemptAt,
              d.leaseUntil,
              d.lastStatusCode,
              d.lastError,
              d.createdAt,
              d.updatedAt,
            ],
          );
          queued += changes;
        }
        return queued;
      });
    },
    async listDueDeliveries(now, limit) {
      const rows = await driver.all<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ${DUE} ORDER BY next_attempt_at, id LIMIT ?`,
        [now, now, limit],
      );
      return rows.map(toDelivery);
    },
    async claimDelivery(id, attempts, now, leaseUntil) {
      const row = await driver.get<DeliveryRow>(
        "UPDATE webhook_deliveries SET status = 'delivering', attempts = attempts + 1, lease_until = ?, updated_at = ? " +
          `WHERE id = ? AND attempts = ? AND ${DUE} RETURNING ${DELIVERY_COLUMNS}`,
        [leaseUntil, now, id, attempts, now, now],
      );
      return row ? toDelivery(row) : null;
    },
    completeDeliveryAttempt(result, now) {
      const { attempt } = result;
      return driver.transaction(async (tx) => {
        const { changes } = await tx.run(
          'UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_until = NULL, last_status_code = ?, ' +
            "last_error = ?, updated_at = ? WHERE id = ? AND status = 'delivering' AND attempts = ?",
          [
            result.status,
            result.nextAttemptAt,
            attempt.statusCode,
            attempt.error,
            now,
            attempt.deliveryId,
            attempt.attempt,
          ],
        );
        // The attempt happened whoever owns the delivery now; it is logged unless the delivery
        // is gone (its webhook was removed) or this attempt number was logged already.
        const exists = await tx.get('SELECT 1 AS ok FROM webhook_deliveries WHERE id = ?', [
          attempt.deliveryId,
        ]);
        if (exists) {
          await tx.run(
            `INSERT INTO webhook_attempts (${ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ` +
              'ON CONFLICT (delivery_id, attempt) DO NOTHING',
            [
              attempt.deliveryId,
              attempt.webhookId,
              attempt.attempt,
              attempt.startedAt,
              attempt.durationMs,
              attempt.statusCode,
              attempt.error,
            ],
          );
        }
        return changes === 1;
      });
    },
    async listDeliveries(webhookId, limit) {
      const rows = await driver.all<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
        [webhookId, limit],
      );
      return rows.map(toDelivery);
    },
    async listDeliveryAttempts(deliveryId) {
      const rows = await driver.all<AttemptRow>(
        `SELECT ${ATTEMPT_COLUMNS} FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt`,
        [deliveryId],
      );
      return rows.map(toAttempt);
    },
  };
}
