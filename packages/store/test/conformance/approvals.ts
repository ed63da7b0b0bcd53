import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Permission, PermissionQuery, PermissionStatus } from '@agent-otp/core';
import {
  addAgent,
  addPending,
  addPermission,
  addUser,
  allAudit,
  eventFor,
  type MakeStore,
  makeApproved,
  makePermission,
  makeVote,
  storeTest,
  T0,
} from './fixtures.ts';

export function voteTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('approval votes', () => {
    test('addApprovalVote records a vote with its audit entry; every field round-trips', async (store) => {
      const p = await addPending(store);
      const ana = await addUser(store, { name: 'ana' });
      const vote = makeVote(p.id, ana, {
        scope: { max_amount: 100, recipients: ['jürgen@example.de'], nested: { deep: [1, null] } },
        ttlSeconds: 60,
        reason: 'ok for this month ✓',
      });
      const event = eventFor(p, 'approval.vote', { user: ana.name });
      assert.equal(await store.addApprovalVote(vote, T0 + 1, [event]), 'recorded');
      assert.deepEqual(await store.listApprovalVotes(p.id), [vote]);
      const audit = await store.listAudit({ permissionId: p.id, limit: 10 });
      assert.deepEqual(
        audit.map((e) => e.event),
        ['permission.requested', 'approval.vote'],
      );
      assert.equal(audit[1]?.id, event.id);
      assert.deepEqual(await store.getPermission(p.id), p, 'a vote does not change the permission');
    });

    test('approvePending approves a pending request without deny votes, and nothing else', async (store) => {
      const ana = await addUser(store, { name: 'ana' });
      const bo = await addUser(store, { name: 'bo' });
      const patch = {
        status: 'approved' as const,
        grantedScope: { max_amount: 5 },
        usesRemaining: 1,
        decidedAt: T0 + 2,
        ttlSeconds: 120,
        expiresAt: T0 + 2 + 120_000,
      };

      const clean = await addPending(store);
      assert.equal(
        await store.addApprovalVote(makeVote(clean.id, ana), T0 + 1, [eventFor(clean, 'approval.vote')]),
        'recorded',
      );
      const approved = await store.approvePending(clean.id, patch, [eventFor(clean, 'permission.approved')]);
      assert.equal(approved?.status, 'approved');
      assert.deepEqual(approved?.grantedScope, { max_amount: 5 });
      assert.notEqual(clean.ttlSeconds, 120, 'the pending request from addPending asks for another lifetime');
      assert.equal(approved?.ttlSeconds, 120, 'the granted lifetime is stored');
      assert.equal((await store.getPermission(clean.id))?.ttlSeconds, 120);

      // A deny vote, even one whose own transition has not happened yet, blocks the approval.
      const contested = await addPending(store, { approvalsRequired: 1 });
      await store.addApprovalVote(makeVote(contested.id, ana), T0 + 1, [
        eventFor(contested, 'approval.vote'),
      ]);
      await store.addApprovalVote(makeVote(contested.id, bo, { decision: 'deny' }), T0 + 1, [
        eventFor(contested, 'approval.vote'),
      ]);
      const before = await allAudit(store);
      assert.equal(
        await store.approvePending(contested.id, patch, [eventFor(contested, 'permission.approved')]),
        null,
      );
      assert.equal((await store.getPermission(contested.id))?.status, 'pending');
      assert.deepEqual(await allAudit(store), before, 'nothing audited when refused');

      // Not pending (already approved above): refused too.
      assert.equal(
        await store.approvePending(clean.id, patch, [eventFor(clean, 'permission.approved')]),
        null,
      );
    });

    test('a second vote of the same user is duplicate, whatever it says, and audits nothing', async (store) => {
      const p = await addPending(store, { approvalsRequired: 2 });
      const ana = await addUser(store);
      const first = makeVote(p.id, ana);
      assert.equal(await store.addApprovalVote(first, T0 + 1, [eventFor(p, 'approval.vote')]), 'recorded');
      const before = await allAudit(store);
      for (const decision of ['approve', 'deny'] as const) {
        const again = makeVote(p.id, ana, { decision, createdAt: T0 + 2, reason: 'again' });
        assert.equal(await store.addApprovalVote(again, T0 + 2, [eventFor(p, 'approval.vote')]), 'duplicate');
      }
      assert.deepEqual(await store.listApprovalVotes(p.id), [first], 'the first vote stands');
      assert.deepEqual(await allAudit(store), before);
    });

    test('not_pending once decided, and from the deadline on (now >= expiresAt)', async (store) => {
      const agent = await addAgent(store);
      const ana = await addUser(store);
      const decided: PermissionStatus[] = ['approved', 'denied', 'expired', 'cancelled', 'used', 'revoked'];
      const tried: Permission[] = [];
      for (const status of decided) {
        tried.push(await addPermission(store, makePermission(agent.id, { status })));
      }
      const due = await addPermission(store, makePermission(agent.id, { expiresAt: T0 + 1000 }));
      const before = await allAudit(store);
      for (const p of tried) {
        assert.equal(
          await store.addApprovalVote(makeVote(p.id, ana), T0 + 1, [eventFor(p, 'approval.vote')]),
          'not_pending',
          p.status,
        );
      }
      assert.equal(
        await store.addApprovalVote(makeVote(due.id, ana), T0 + 1000, [eventFor(due, 'approval.vote')]),
        'not_pending',
      );
      assert.equal(
        await store.addApprovalVote(makeVote(due.id, ana), T0 + 5000, [eventFor(due, 'approval.vote')]),
        'not_pending',
      );
      assert.equal(
        await store.addApprovalVote(makeVote('perm_doesnotexist00', ana), T0, [
          makeVoteEventFor('perm_doesnotexist00'),
        ]),
        'not_pending',
      );
      assert.deepEqual(await allAudit(store), before, 'refused votes write no audit entry');
      for (const p of [...tried, due]) assert.deepEqual(await store.listApprovalVotes(p.id), []);

      // One millisecond before the deadline the vote still counts.
      assert.equal(
        await store.addApprovalVote(makeVote(due.id, ana), T0 + 999, [eventFor(due, 'approval.vote')]),
        'recorded',
      );
    });

    test('listApprovalVotes: oldest first, ties by user id, only that permission', async (store) => {
      const p = await addPending(store, { approvalsRequired: 3 });
      const other = await addPending(store);
      const users = [await addUser(store), await addUser(store), await addUser(store)];
      assert.deepEqual(await store.listApprovalVotes(p.id), []);
      const [u0, u1, u2] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
      const late = makeVote(p.id, u0, { createdAt: T0 + 9 });
      const tieA = makeVote(p.id, u1, { createdAt: T0 + 5 });
      const tieB = makeVote(p.id, u2, { createdAt: T0 + 5, decision: 'deny' });
      const elsewhere = makeVote(other.id, u0, { createdAt: T0 + 1 });
      for (const vote of [late, tieB, tieA, elsewhere]) {
        assert.equal(
          await store.addApprovalVote(vote, T0 + 1, [makeVoteEventFor(vote.permissionId)]),
          'recorded',
        );
      }
      const ties = [tieA, tieB].sort((a, b) => (a.userId < b.userId ? -1 : 1));
      assert.deepEqual(await store.listApprovalVotes(p.id), [...ties, late]);
      assert.deepEqual(await store.listApprovalVotes(other.id), [elsewhere]);
    });
  });
}

/** An audit event for a vote on a permission known only by id. */
function makeVoteEventFor(permissionId: string) {
  return eventFor(makePermission('agt_unknown000000', { id: permissionId }), 'approval.vote');
}

export function deliveryTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('claimTokenDelivery (compare-and-set)', () => {
    test('stores the hash of an approved permission without a token, once, with its audit entry', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(
        store,
        makeApproved(agent.id, { tokenHash: null, decision: 'require_approval' }),
      );
      const event = eventFor(p, 'token.delivered');
      const claimed = await store.claimTokenDelivery(p.id, 'hash-1', T0 + 7, [event]);
      assert.deepEqual(claimed, { ...p, tokenHash: 'hash-1', updatedAt: T0 + 7 });
      assert.deepEqual(await store.getPermission(p.id), claimed);
      assert.equal((await store.listAudit({ permissionId: p.id, limit: 10 })).at(-1)?.id, event.id);

      const before = await allAudit(store);
      assert.equal(
        await store.claimTokenDelivery(p.id, 'hash-2', T0 + 8, [eventFor(p, 'token.delivered')]),
        null,
      );
      assert.equal(
        (await store.getPermission(p.id))?.tokenHash,
        'hash-1',
        'the first token stays the only one',
      );
      assert.deepEqual(await allAudit(store), before);
    });

    test('refuses every other state, an existing token and an unknown id, writing nothing', async (store) => {
      const agent = await addAgent(store);
      const others: Permission[] = [];
      for (const status of ['pending', 'denied', 'expired', 'cancelled', 'used', 'revoked'] as const) {
        others.push(await addPermission(store, makePermission(agent.id, { status })));
      }
      others.push(await addPermission(store, makeApproved(agent.id, { tokenHash: 'auto-approved' })));
      const before = await allAudit(store);
      for (const p of others) {
        assert.equal(
          await store.claimTokenDelivery(p.id, 'h', T0 + 1, [eventFor(p, 'token.delivered')]),
          null,
          p.status,
        );
        assert.deepEqual(await store.getPermission(p.id), p);
      }
      assert.equal(
        await store.claimTokenDelivery('perm_doesnotexist00', 'h', T0, [
          makeVoteEventFor('perm_doesnotexist00'),
        ]),
        null,
      );
      assert.deepEqual(await allAudit(store), before);
    });
  });

  describe('listPermissions with several statuses', () => {
    test('statuses filters to any of them, ANDed with status, agent and action', async (store) => {
      const a = await addAgent(store);
      const b = await addAgent(store);
      const rows = [
        makePermission(a.id, { status: 'pending', createdAt: T0 + 1 }),
        makePermission(a.id, { status: 'approved', createdAt: T0 + 2 }),
        makePermission(a.id, { status: 'denied', createdAt: T0 + 3, action: 'fs.read' }),
        makePermission(b.id, { status: 'denied', createdAt: T0 + 4 }),
        makePermission(b.id, { status: 'expired', createdAt: T0 + 5 }),
      ];
      for (const row of rows) await addPermission(store, row);
      const ids = async (query: Omit<PermissionQuery, 'limit'>) =>
        (await store.listPermissions({ ...query, limit: 50 })).items.map((p) => p.id);
      const pick = (...indexes: number[]) => indexes.map((i) => rows[i]?.id);

      assert.deepEqual(await ids({ statuses: ['approved', 'denied', 'expired'] }), pick(4, 3, 2, 1));
      assert.deepEqual(await ids({ statuses: ['denied'], agentId: a.id }), pick(2));
      assert.deepEqual(await ids({ statuses: ['denied', 'pending'], action: 'gmail.send' }), pick(3, 0));
      assert.deepEqual(await ids({ statuses: ['denied', 'expired'], status: 'expired' }), pick(4));
      assert.deepEqual(await ids({ statuses: ['denied'], status: 'pending' }), [], 'AND, not OR');
      assert.deepEqual(await ids({ statuses: [] }), [], 'no status allowed: nothing');
      assert.deepEqual(await ids({ statuses: ['used', 'revoked'] }), []);
    });

    test('pages through a statuses filter with every item once', async (store) => {
      const agent = await addAgent(store);
      const decided: string[] = [];
      for (let i = 0; i < 15; i++) {
        const status = (['pending', 'approved', 'denied'] as const)[i % 3];
        const p = await addPermission(
          store,
          makePermission(agent.id, { status, createdAt: T0 + Math.floor(i / 2) }),
        );
        if (status !== 'pending') decided.push(p.id);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listPermissions({ statuses: ['approved', 'denied'], limit: 4, cursor });
        seen.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.equal(seen.length, decided.length);
      assert.deepEqual(new Set(seen), new Set(decided));
    });
  });
}
