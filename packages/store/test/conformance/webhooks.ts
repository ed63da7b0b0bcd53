import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { newId, type Store, type Webhook, type WebhookAttempt, type WebhookDelivery } from '@agent-otp/core';
import { allAudit, type MakeStore, makeEvent, storeTest, T0, verifyChain } from './fixtures.ts';

export function makeWebhook(overrides: Partial<Webhook> = {}): Webhook {
  return {
    id: newId('webhook'),
    url: 'https://hooks.example.com/agent-otp',
    events: ['permission.requested', 'permission.approved'],
    salt: 'salt-value',
    createdAt: T0,
    createdBy: 'system:test',
    ...overrides,
  };
}

export function makeDelivery(webhookId: string, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id: newId('webhookDelivery'),
    webhookId,
    eventId: newId('webhookEvent'),
    eventType: 'permission.requested',
    permissionId: newId('permission'),
    body: '{"id":"evt_x"}',
    status: 'pending',
    attempts: 0,
    nextAttemptAt: T0,
    leaseUntil: null,
    lastStatusCode: null,
    lastError: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

const attemptOf = (d: WebhookDelivery, overrides: Partial<WebhookAttempt> = {}): WebhookAttempt => ({
  deliveryId: d.id,
  webhookId: d.webhookId,
  attempt: d.attempts,
  startedAt: T0 + 1,
  durationMs: 12,
  statusCode: 500,
  error: null,
  ...overrides,
});

async function addWebhook(store: Store, overrides: Partial<Webhook> = {}): Promise<Webhook> {
  const webhook = makeWebhook(overrides);
  await store.createWebhook(webhook, makeEvent({ event: 'webhook.created' }));
  return webhook;
}

export function webhookTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('webhooks: registry', () => {
    test('create, get, list and delete, each change audited', async (store) => {
      const a = await addWebhook(store);
      const b = await addWebhook(store, { createdAt: T0 + 1, events: ['permission.used'] });
      assert.deepEqual(await store.getWebhook(a.id), a);
      assert.deepEqual(await store.listWebhooks(), [a, b]);
      assert.equal(await store.deleteWebhook(a.id, makeEvent({ event: 'webhook.removed' })), true);
      assert.equal(await store.getWebhook(a.id), null);
      assert.equal(await store.deleteWebhook(a.id, makeEvent({ event: 'webhook.removed' })), false);
      const events = (await allAudit(store)).map((e) => e.event);
      assert.deepEqual(events, ['webhook.created', 'webhook.created', 'webhook.removed']);
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('deleting a webhook deletes its queue and attempts, not other webhooks’', async (store) => {
      const a = await addWebhook(store);
      const b = await addWebhook(store);
      const da = makeDelivery(a.id);
      const db = makeDelivery(b.id);
      await store.enqueueDeliveries([da, db]);
      const claimed = (await store.claimDelivery(da.id, 0, T0, T0 + 1000)) as WebhookDelivery;
      await store.completeDeliveryAttempt(
        { attempt: attemptOf(claimed), status: 'pending', nextAttemptAt: T0 },
        T0,
      );
      await store.deleteWebhook(a.id, makeEvent());
      assert.deepEqual(await store.listDeliveries(a.id, 10), []);
      assert.deepEqual(await store.listDeliveryAttempts(da.id), []);
      assert.deepEqual(
        (await store.listDueDeliveries(T0, 10)).map((d) => d.id),
        [db.id],
      );
    });
  });

  describe('webhooks: the delivery queue', () => {
    test('an event queued twice for one webhook is queued once; a removed webhook gets nothing', async (store) => {
      const a = await addWebhook(store);
      const first = makeDelivery(a.id, { eventId: 'evt_same' });
      assert.equal(await store.enqueueDeliveries([first]), 1);
      assert.equal(await store.enqueueDeliveries([makeDelivery(a.id, { eventId: 'evt_same' })]), 0);
      assert.equal(await store.enqueueDeliveries([makeDelivery('whk_gone0000000')]), 0);
      assert.deepEqual(await store.listDeliveries(a.id, 10), [first]);
    });

    test('due work: pending at its time, or delivering past its lease', async (store) => {
      const a = await addWebhook(store);
      const now = makeDelivery(a.id, { nextAttemptAt: T0 });
      const later = makeDelivery(a.id, { nextAttemptAt: T0 + 5000 });
      await store.enqueueDeliveries([now, later]);
      assert.deepEqual(
        (await store.listDueDeliveries(T0, 10)).map((d) => d.id),
        [now.id],
      );
      const claimed = await store.claimDelivery(now.id, 0, T0, T0 + 1000);
      assert.equal(claimed?.status, 'delivering');
      assert.equal(claimed?.attempts, 1);
      assert.deepEqual(await store.listDueDeliveries(T0 + 999, 10), []);
      // The worker died: after its lease another may take the attempt over, as attempt 2.
      assert.deepEqual(
        (await store.listDueDeliveries(T0 + 1000, 10)).map((d) => d.id),
        [now.id],
      );
      assert.equal(await store.claimDelivery(now.id, 0, T0 + 1000, T0 + 2000), null, 'stale attempt count');
      assert.equal((await store.claimDelivery(now.id, 1, T0 + 1000, T0 + 2000))?.attempts, 2);
    });

    test('completing records the attempt and moves the delivery; a stale worker changes nothing', async (store) => {
      const a = await addWebhook(store);
      const d = makeDelivery(a.id);
      await store.enqueueDeliveries([d]);
      const first = (await store.claimDelivery(d.id, 0, T0, T0 + 100)) as WebhookDelivery;
      // The lease ran out and a second worker took over before the first reported back.
      const second = (await store.claimDelivery(d.id, 1, T0 + 100, T0 + 10_000)) as WebhookDelivery;
      assert.equal(
        await store.completeDeliveryAttempt(
          {
            attempt: attemptOf(first, { error: 'timeout', statusCode: null }),
            status: 'pending',
            nextAttemptAt: T0,
          },
          T0 + 150,
        ),
        false,
      );
      assert.equal(
        await store.completeDeliveryAttempt(
          { attempt: attemptOf(second, { statusCode: 204 }), status: 'succeeded', nextAttemptAt: T0 + 200 },
          T0 + 200,
        ),
        true,
      );
      const [after] = await store.listDeliveries(a.id, 10);
      assert.equal(after?.status, 'succeeded');
      assert.equal(after?.lastStatusCode, 204);
      assert.equal(after?.leaseUntil, null);
      const attempts = await store.listDeliveryAttempts(d.id);
      assert.deepEqual(
        attempts.map((x) => [x.attempt, x.statusCode, x.error]),
        [
          [1, null, 'timeout'],
          [2, 204, null],
        ],
      );
      assert.deepEqual(await store.listDueDeliveries(T0 + 1_000_000, 10), []);
    });

    test('N workers racing to claim one attempt: exactly one wins', async (store) => {
      const a = await addWebhook(store);
      const d = makeDelivery(a.id);
      await store.enqueueDeliveries([d]);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.claimDelivery(d.id, 0, T0, T0 + 1000)),
      );
      assert.equal(results.filter((r) => r !== null).length, 1);
    });

    test('listDeliveries is newest first and limited', async (store) => {
      const a = await addWebhook(store);
      const ds = [0, 1, 2].map((i) => makeDelivery(a.id, { createdAt: T0 + i }));
      await store.enqueueDeliveries(ds);
      assert.deepEqual(
        (await store.listDeliveries(a.id, 2)).map((d) => d.createdAt),
        [T0 + 2, T0 + 1],
      );
    });
  });
}
