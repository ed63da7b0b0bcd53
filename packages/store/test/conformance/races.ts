import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ANCHOR_EVENT, type AuditEventInput, type Store } from '@agent-otp/core';
import {
  addAgent,
  addPending,
  addPermission,
  addUser,
  allAudit,
  eventFor,
  type MakeStore,
  makeApproved,
  makeEvent,
  makePermission,
  makeVote,
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
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: 1 }));
      const results = await spendConcurrently(store, p.id, 'h', 200);
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1);
      assert.equal(winners[0]?.status, 'used');
      assert.equal((await store.getPermission(p.id))?.usesRemaining, 0);
      assert.equal((await store.listAudit({ event: 'permission.used', limit: 500 })).length, 1);
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('100 concurrent spends of a 5-use token: exactly five succeed', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: 5 }));
      const results = await spendConcurrently(store, p.id, 'h', 100);
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 5);
      assert.deepEqual(winners.map((w) => w.usesRemaining).sort(), [0, 1, 2, 3, 4], 'each use seen once');
      assert.equal((await store.getPermission(p.id))?.status, 'used');
      assert.equal((await store.listAudit({ event: 'permission.used', limit: 500 })).length, 5);
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('50 concurrent approve vs deny of one request: one decision', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makePermission(agent.id));
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
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: null }));
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

    test('100 concurrent token deliveries of one approval: exactly one claims it', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { tokenHash: null }));
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          store.claimTokenDelivery(p.id, `hash-${i}`, T0 + 1, [eventFor(p, 'token.delivered', { i })]),
        ),
      );
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1);
      assert.deepEqual(await store.getPermission(p.id), winners[0]);
      assert.match(winners[0]?.tokenHash ?? '', /^hash-\d+$/);
      assert.equal((await store.listAudit({ event: 'token.delivered', limit: 500 })).length, 1);
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('30 concurrent votes of one user: one recorded, the rest duplicate', async (store) => {
      const p = await addPending(store, { approvalsRequired: 2 });
      const ana = await addUser(store);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          store.addApprovalVote(makeVote(p.id, ana, { decision: i % 2 ? 'deny' : 'approve' }), T0 + 1, [
            eventFor(p, 'approval.vote', { i }),
          ]),
        ),
      );
      assert.equal(results.filter((r) => r === 'recorded').length, 1);
      assert.equal(results.filter((r) => r === 'duplicate').length, 29);
      assert.equal((await store.listApprovalVotes(p.id)).length, 1);
      assert.equal((await store.listAudit({ event: 'approval.vote', limit: 500 })).length, 1);
    });

    test('votes racing the decision: none is recorded after it', async (store) => {
      const p = await addPending(store, { approvalsRequired: 5 });
      const users = [];
      for (let i = 0; i < 20; i++) users.push(await addUser(store));
      const decision = eventFor(p, 'permission.denied');
      const votes = Promise.all(
        users.map((user) =>
          store.addApprovalVote(makeVote(p.id, user), T0 + 1, [eventFor(p, 'approval.vote')]),
        ),
      );
      const decided = store.transitionPermission(p.id, ['pending'], { status: 'denied' }, [decision]);
      const [results, result] = await Promise.all([votes, decided]);
      assert.equal(result?.status, 'denied');
      const recorded = results.filter((r) => r === 'recorded').length;
      assert.equal(recorded + results.filter((r) => r === 'not_pending').length, 20);
      assert.equal((await store.listApprovalVotes(p.id)).length, recorded);
      const audit = await allAudit(store);
      const decisionSeq = audit.find((e) => e.id === decision.id)?.seq ?? 0;
      const voteSeqs = audit.filter((e) => e.event === 'approval.vote').map((e) => e.seq);
      assert.equal(voteSeqs.length, recorded);
      assert.ok(
        voteSeqs.every((seq) => seq < decisionSeq),
        'every recorded vote precedes the decision',
      );
    });

    test('concurrent appends from many callers: every stripe unforked, no gaps, nothing lost', async (store) => {
      const batches: AuditEventInput[][] = Array.from({ length: 120 }, (_, i) =>
        Array.from({ length: (i % 3) + 1 }, (_, j) => makeEvent({ event: 'concurrent', details: { i, j } })),
      );
      await Promise.all(batches.map((batch) => store.appendAudit(batch)));
      const total = batches.flat().length;
      const entries = (await allAudit(store, 100)).filter((e) => e.event !== ANCHOR_EVENT);
      assert.equal(entries.length, total, 'nothing lost');
      const verdict = await verifyChain(store);
      assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
      // Every stripe is one chain 1, 2, 3…: no place taken twice (a fork) and none skipped.
      const places = new Map<number, number[]>();
      for (const e of await allAudit(store, 100))
        places.set(e.stripe, [...(places.get(e.stripe) ?? []), e.stripeSeq]);
      for (const [stripe, seqs] of places) {
        assert.deepEqual(
          seqs,
          seqs.map((_, k) => k + 1),
          `stripe ${stripe}`,
        );
      }
      // Each batch stays contiguous in its stripe: a caller's entries are never interleaved with another's.
      for (const batch of batches) {
        const own = batch.map((event) => entries.find((e) => e.id === event.id));
        assert.equal(new Set(own.map((e) => e?.stripe)).size, 1, 'one transaction, one stripe');
        const seqs = own.map((e) => e?.stripeSeq ?? -1);
        assert.deepEqual(
          seqs,
          seqs.map((_, k) => (seqs[0] ?? 0) + k),
        );
      }
    });
  });
}
