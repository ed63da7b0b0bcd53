import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { PermissionPatch } from '@agent-otp/core';
import {
  addAgent,
  addPermission,
  allAudit,
  eventFor,
  type MakeStore,
  makeApproved,
  makePermission,
  storeTest,
  T0,
} from './fixtures.ts';

export function transitionTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('transitionPermission (compare-and-set)', () => {
    test('applies the patch when the status is in `from`, with its audit entries', async (store) => {
      const agent = await addAgent(store);
      const pending = await addPermission(store, makePermission(agent.id));
      const events = [eventFor(pending, 'permission.approved'), eventFor(pending, 'token.issued')];
      const patch: PermissionPatch = {
        status: 'approved',
        grantedScope: { max_emails: 1, recipients: ['ana@example.com'], nested: { ü: [1, { two: 2 }] } },
        tokenHash: 'token-hash',
        usesRemaining: 1,
        decidedAt: T0 + 10,
        expiresAt: T0 + 310_000,
      };
      const updated = await store.transitionPermission(pending.id, ['pending', 'approved'], patch, events);
      assert.ok(updated);
      // updatedAt is the store's to set; every other field is exactly the old row plus the patch.
      assert.deepEqual({ ...updated, updatedAt: 0 }, { ...pending, ...patch, updatedAt: 0 });
      assert.deepEqual(await store.getPermission(pending.id), updated);
      const audit = await store.listAudit({ permissionId: pending.id, limit: 10 });
      assert.deepEqual(
        audit.map((e) => e.id).slice(1),
        events.map((e) => e.id),
      );
    });

    test('each field can be patched on its own, JSON and nulls included', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { reason: 'initial', usesRemaining: 3 }));
      const patches: PermissionPatch[] = [
        { grantedScope: { max_size: 1024, allowed_extensions: ['pdf', 'txt'], deep: { a: { b: ['ç'] } } } },
        { grantedScope: null },
        { reason: 'narrowed by ana ✓' },
        { reason: null },
        { tokenHash: 'rotated-hash' },
        { tokenHash: null },
        { usesRemaining: 0 },
        { usesRemaining: null },
        { decidedAt: T0 + 99 },
        { decidedAt: null },
        { expiresAt: T0 + 1 },
        { status: 'revoked' },
      ];
      let expected = await store.getPermission(p.id);
      for (const patch of patches) {
        const from = expected?.status === 'approved' ? (['approved'] as const) : (['revoked'] as const);
        const updated = await store.transitionPermission(p.id, from, patch, [
          eventFor(p, 'permission.changed'),
        ]);
        assert.ok(updated, JSON.stringify(patch));
        assert.deepEqual(
          { ...updated, updatedAt: 0 },
          { ...expected, ...patch, updatedAt: 0 },
          JSON.stringify(patch),
        );
        assert.deepEqual(await store.getPermission(p.id), updated);
        expected = updated;
      }
    });

    test('an empty patch still acts as a guarded no-op', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makePermission(agent.id));
      const same = await store.transitionPermission(p.id, ['pending'], {}, [
        eventFor(p, 'permission.viewed'),
      ]);
      assert.equal(same?.status, 'pending');
      assert.equal(await store.transitionPermission(p.id, ['approved'], {}, [eventFor(p, 'x')]), null);
    });

    test('a status outside `from` gives null, changes nothing and audits nothing', async (store) => {
      const agent = await addAgent(store);
      const denied = await addPermission(store, makePermission(agent.id, { status: 'denied' }));
      const before = await allAudit(store);
      for (const from of [['pending'], ['pending', 'approved'], []] as const) {
        const result = await store.transitionPermission(
          denied.id,
          from,
          { status: 'approved', reason: 'x' },
          [eventFor(denied, 'permission.approved')],
        );
        assert.equal(result, null);
      }
      assert.deepEqual(await store.getPermission(denied.id), denied);
      assert.deepEqual(await allAudit(store), before);
    });

    test('an unknown id gives null and audits nothing', async (store) => {
      const agent = await addAgent(store);
      const ghost = makePermission(agent.id);
      const before = await allAudit(store);
      assert.equal(
        await store.transitionPermission(ghost.id, ['pending'], { status: 'approved' }, [
          eventFor(ghost, 'x'),
        ]),
        null,
      );
      assert.deepEqual(await allAudit(store), before);
    });
  });
}

export function consumeTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('consumeUse (compare-and-set spend)', () => {
    test('refuses a wrong hash, an expired token and a permission that is not approved', async (store) => {
      const agent = await addAgent(store);
      const ok = await addPermission(
        store,
        makeApproved(agent.id, { tokenHash: 'right', expiresAt: T0 + 1000 }),
      );
      const cases = [
        { id: ok.id, hash: 'wrong', now: T0 },
        { id: ok.id, hash: '', now: T0 },
        { id: ok.id, hash: 'right', now: T0 + 1000 }, // expiresAt == now is expired
        { id: ok.id, hash: 'right', now: T0 + 5000 },
        { id: 'perm_doesnotexist00', hash: 'right', now: T0 },
      ];
      for (const status of ['pending', 'denied', 'expired', 'cancelled', 'used', 'revoked'] as const) {
        const p = await addPermission(store, makeApproved(agent.id, { status, tokenHash: 'right' }));
        cases.push({ id: p.id, hash: 'right', now: T0 });
      }
      const noToken = await addPermission(store, makeApproved(agent.id, { tokenHash: null }));
      cases.push({ id: noToken.id, hash: '', now: T0 });
      const exhausted = await addPermission(
        store,
        makeApproved(agent.id, { tokenHash: 'right', usesRemaining: 0 }),
      );
      cases.push({ id: exhausted.id, hash: 'right', now: T0 });

      const before = await allAudit(store);
      for (const c of cases) {
        const result = await store.consumeUse(c.id, c.hash, c.now, [eventFor(ok, 'permission.used')]);
        assert.equal(result, null, JSON.stringify(c));
      }
      assert.deepEqual(await allAudit(store), before, 'refused spends write no audit entry');
      assert.deepEqual(await store.getPermission(ok.id), ok);
      assert.deepEqual(await store.getPermission(exhausted.id), exhausted);
    });

    test('decrements, and the last use moves the status to used', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: 2 }));
      const first = await store.consumeUse(p.id, 'h', T0 + 1, [eventFor(p, 'permission.used')]);
      assert.equal(first?.usesRemaining, 1);
      assert.equal(first?.status, 'approved');
      const last = await store.consumeUse(p.id, 'h', T0 + 2, [eventFor(p, 'permission.used')]);
      assert.equal(last?.usesRemaining, 0);
      assert.equal(last?.status, 'used');
      assert.deepEqual({ ...last, updatedAt: 0 }, { ...p, status: 'used', usesRemaining: 0, updatedAt: 0 });
      assert.deepEqual(await store.getPermission(p.id), last);
      assert.equal(await store.consumeUse(p.id, 'h', T0 + 3, [eventFor(p, 'permission.used')]), null);
      assert.equal(
        (await store.listAudit({ permissionId: p.id, event: 'permission.used', limit: 10 })).length,
        2,
      );
    });

    test('an unlimited token (usesRemaining null) stays approved', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: null }));
      for (let i = 0; i < 5; i++) {
        const used = await store.consumeUse(p.id, 'h', T0 + i, [eventFor(p, 'permission.used')]);
        assert.equal(used?.status, 'approved');
        assert.equal(used?.usesRemaining, null);
      }
    });
  });

  describe('listDueForExpiry', () => {
    test('lists pending and approved past their expiry, oldest first, up to the limit', async (store) => {
      const agent = await addAgent(store);
      const now = T0 + 10_000;
      const at = (expiresAt: number, status: 'pending' | 'approved' | 'used' | 'denied' | 'revoked') =>
        addPermission(store, makeApproved(agent.id, { status, expiresAt }));
      const late = await at(now - 1, 'approved');
      const earliest = await at(now - 500, 'pending');
      const exactlyNow = await at(now, 'pending');
      await at(now + 1, 'pending');
      await at(now + 1, 'approved');
      for (const status of ['used', 'denied', 'revoked'] as const) await at(now - 1000, status);

      const due = await store.listDueForExpiry(now, 10);
      assert.deepEqual(
        due.map((p) => p.id),
        [earliest.id, late.id, exactlyNow.id],
      );
      assert.deepEqual(due[0], earliest, 'whole permissions');
      assert.deepEqual(
        (await store.listDueForExpiry(now, 2)).map((p) => p.id),
        [earliest.id, late.id],
      );
      assert.deepEqual(await store.listDueForExpiry(T0, 10), []);
    });
  });
}
