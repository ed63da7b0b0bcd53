import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { AuditEventInput, Store } from '@agent-otp/core';
import {
  allAudit,
  eventFor,
  type MakeStore,
  makeApproved,
  makeEvent,
  makePermission,
  seedAgent,
  seedPermission,
  storeTest,
  T0,
  verifyChain,
} from './fixtures.ts';

/** `count` concurrent spends of one token, all started before any settles. */
async function spendConcurrently(store: Store, permissionId: string, tokenHash: string, count: number) {
  const permission = await store.getPermission(permissionId);
  assert.ok(permission);
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      store.consumeUse(permissionId, tokenHash, T0 + 1, [
        eventFor(permission, 'permission.used', { attempt: i }),
      ]),
    ),
  );
}

export function raceTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('races: compare-and-set has exactly one winner', () => {
    test('200 concurrent spends of a single-use token: one succeeds', async (store) => {
      const agent = await seedAgent(store);
      const p = await seedPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: 1 }));
      const results = await spendConcurrently(store, p.id, 'h', 200);
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1);
      assert.equal(winners[0]?.status, 'used');
      assert.equal((await store.getPermission(p.id))?.usesRemaining, 0);
      assert.equal((await store.listAudit({ event: 'permission.used', limit: 500 })).length, 1);
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('100 concurrent spends of a 5-use token: exactly five succeed', async (store) => {
      const agent = await seedAgent(store);
      const p = await seedPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: 5 }));
      const results = await spendConcurrently(store, p.id, 'h', 100);
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 5);
      assert.deepEqual(winners.map((w) => w.usesRemaining).sort(), [0, 1, 2, 3, 4], 'each use seen once');
      assert.equal((await store.getPermission(p.id))?.status, 'used');
      assert.equal((await store.listAudit({ event: 'permission.used', limit: 500 })).length, 5);
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('50 concurrent approve vs deny of one request: one decision', async (store) => {
      const agent = await seedAgent(store);
      const p = await seedPermission(store, makePermission(agent.id));
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const status = i % 2 === 0 ? 'approved' : 'denied';
          return store.transitionPermission(p.id, ['pending'], { status, decidedAt: T0 + i }, [
            eventFor(p, `permission.${status}`, { attempt: i }),
          ]);
        }),
      );
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1);
      const final = await store.getPermission(p.id);
      assert.deepEqual(final, winners[0]);
      const decisions = (await allAudit(store)).filter(
        (e) => e.permissionId === p.id && e.event !== 'permission.requested',
      );
      assert.equal(decisions.length, 1);
      assert.equal(decisions[0]?.event, `permission.${final?.status}`);
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('a revoke racing uses: no use is recorded after the revoke', async (store) => {
      const agent = await seedAgent(store);
      const p = await seedPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: null }));
      const revoke = eventFor(p, 'permission.revoked');
      const spends = spendConcurrently(store, p.id, 'h', 40);
      const revoked = store.transitionPermission(p.id, ['approved'], { status: 'revoked' }, [revoke]);
      const [uses, result] = await Promise.all([spends, revoked]);
      assert.equal(result?.status, 'revoked');
      const audit = await allAudit(store);
      const revokeSeq = audit.find((e) => e.id === revoke.id)?.seq ?? 0;
      const useSeqs = audit.filter((e) => e.event === 'permission.used').map((e) => e.seq);
      assert.equal(useSeqs.length, uses.filter((u) => u !== null).length);
      assert.ok(
        useSeqs.every((seq) => seq < revokeSeq),
        'every successful use precedes the revoke',
      );
    });

    test('concurrent appends from many callers: one chain, no gaps, nothing lost', async (store) => {
      const batches: AuditEventInput[][] = Array.from({ length: 120 }, (_, i) =>
        Array.from({ length: (i % 3) + 1 }, (_, j) => makeEvent({ event: 'concurrent', details: { i, j } })),
      );
      await Promise.all(batches.map((batch) => store.appendAudit(batch)));
      const total = batches.flat().length;
      const entries = await allAudit(store, 100);
      assert.deepEqual(
        entries.map((e) => e.seq),
        Array.from({ length: total }, (_, i) => i + 1),
      );
      assert.deepEqual(await verifyChain(store), {
        ok: true,
        entries: total,
        headHash: entries.at(-1)?.hash,
      });
      // Each batch stays contiguous: a caller's entries are never interleaved with another's.
      for (const batch of batches) {
        const seqs = batch.map((event) => entries.find((e) => e.id === event.id)?.seq ?? -1);
        assert.deepEqual(
          seqs,
          seqs.map((_, k) => (seqs[0] ?? 0) + k),
        );
      }
    });
  });
}
