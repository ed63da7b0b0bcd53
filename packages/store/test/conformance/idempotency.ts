import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { IdempotencyClaim, Permission, Store } from '@agent-otp/core';
import {
  addAgent,
  allAudit,
  eventFor,
  hasCode,
  type MakeStore,
  makeApproved,
  makePermission,
  storeTest,
  T0,
  verifyChain,
} from './fixtures.ts';

const DAY = 24 * 60 * 60 * 1000;

function claim(agentId: string, overrides: Partial<IdempotencyClaim> = {}): IdempotencyClaim {
  return { agentId, key: 'retry-1', requestHash: 'hash-a', createdAt: T0, expiresAt: T0 + DAY, ...overrides };
}

const insert = (store: Store, permission: Permission, key: IdempotencyClaim) =>
  store.insertPermissionIdempotent(permission, [eventFor(permission, 'permission.requested')], key);

const countRequests = async (store: Store) =>
  (await allAudit(store)).filter((e) => e.event === 'permission.requested').length;

export function idempotencyTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('insertPermissionIdempotent: one permission per live key', () => {
    test('the first call creates; a second with the key returns the first permission and writes nothing', async (store) => {
      const agent = await addAgent(store);
      const first = makeApproved(agent.id);
      assert.deepEqual(await insert(store, first, claim(agent.id)), { created: true, permission: first });
      const second = makePermission(agent.id, { action: 'other.action' });
      const again = await insert(
        store,
        second,
        claim(agent.id, { requestHash: 'hash-b', createdAt: T0 + 5 }),
      );
      assert.deepEqual(again, { created: false, permission: first, requestHash: 'hash-a' });
      assert.equal(await store.getPermission(second.id), null);
      assert.equal(await countRequests(store), 1);
    });

    test('returns the permission as it is now, not as it was inserted', async (store) => {
      const agent = await addAgent(store);
      const p = makePermission(agent.id);
      await insert(store, p, claim(agent.id));
      await store.transitionPermission(p.id, ['pending'], { status: 'denied', reason: 'no' }, [
        eventFor(p, 'permission.denied'),
      ]);
      const again = await insert(store, makePermission(agent.id), claim(agent.id, { createdAt: T0 + 1 }));
      assert.equal(again.created, false);
      assert.equal(again.permission.status, 'denied');
      assert.equal(again.permission.reason, 'no');
    });

    test('keys are scoped per agent', async (store) => {
      const a = await addAgent(store);
      const b = await addAgent(store);
      assert.equal((await insert(store, makePermission(a.id), claim(a.id))).created, true);
      assert.equal((await insert(store, makePermission(b.id), claim(b.id))).created, true);
    });

    test('an expired key is replaced: the next call creates a new permission', async (store) => {
      const agent = await addAgent(store);
      const old = makePermission(agent.id);
      await insert(store, old, claim(agent.id));
      const fresh = makePermission(agent.id);
      const result = await insert(
        store,
        fresh,
        claim(agent.id, { createdAt: T0 + DAY, expiresAt: T0 + 2 * DAY }),
      );
      assert.equal(result.created, true);
      const third = await insert(
        store,
        makePermission(agent.id),
        claim(agent.id, { createdAt: T0 + DAY + 1 }),
      );
      assert.equal(third.permission.id, fresh.id);
    });

    test('purgeIdempotencyKeys deletes expired keys only', async (store) => {
      const agent = await addAgent(store);
      await insert(store, makePermission(agent.id), claim(agent.id, { key: 'k1', expiresAt: T0 + 10 }));
      const live = makePermission(agent.id);
      await insert(store, live, claim(agent.id, { key: 'k2', expiresAt: T0 + 20 }));
      assert.equal(await store.purgeIdempotencyKeys(T0 + 10), 1);
      assert.equal(await store.purgeIdempotencyKeys(T0 + 10), 0);
      const again = await insert(
        store,
        makePermission(agent.id),
        claim(agent.id, { key: 'k2', createdAt: T0 + 11 }),
      );
      assert.equal(again.permission.id, live.id, 'the live key still names its permission');
    });

    test('a disabled agent is refused with AGENT_DISABLED and the key stays free', async (store) => {
      const agent = await addAgent(store, { status: 'disabled' });
      await assert.rejects(
        insert(store, makePermission(agent.id), claim(agent.id)),
        hasCode('AGENT_DISABLED'),
      );
      assert.equal(await store.purgeIdempotencyKeys(T0 + 2 * DAY), 0, 'no claim was written');
    });

    test('race: 100 concurrent calls with one key create exactly one permission; all return it', async (store) => {
      const agent = await addAgent(store);
      const candidates = Array.from({ length: 100 }, () => makePermission(agent.id));
      const results = await Promise.all(candidates.map((p) => insert(store, p, claim(agent.id))));
      const created = results.filter((r) => r.created);
      assert.equal(created.length, 1);
      const winner = created[0]?.permission.id;
      assert.ok(results.every((r) => r.permission.id === winner));
      const stored = await store.listPermissions({ agentId: agent.id, limit: 200 });
      assert.deepEqual(
        stored.items.map((p) => p.id),
        [winner],
      );
      assert.equal(await countRequests(store), 1);
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('race: concurrent calls with 10 keys create exactly 10 permissions', async (store) => {
      const agent = await addAgent(store);
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          insert(store, makePermission(agent.id), claim(agent.id, { key: `k${i % 10}` })),
        ),
      );
      assert.equal(results.filter((r) => r.created).length, 10);
      assert.equal(new Set(results.map((r) => r.permission.id)).size, 10);
      assert.equal((await store.listPermissions({ agentId: agent.id, limit: 200 })).items.length, 10);
    });
  });
}
