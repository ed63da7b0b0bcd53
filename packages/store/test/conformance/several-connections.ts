import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '@agent-otp/core';
import {
  addAgent,
  addPending,
  addPermission,
  addUser,
  eventFor,
  makeApproved,
  makeEvent,
  makePermission,
  makeVote,
  T0,
  TEST_TIMEOUT_MS,
  verifyChain,
} from './fixtures.ts';
import { makeVersion, recordVersion } from './policy-versions.ts';

/** Opens `count` stores on one new, migrated database, like that many processes sharing it. */
export type OpenShared = (count: number) => Promise<Store[]>;

async function closeAll(stores: Store[]): Promise<void> {
  for (const store of stores) await store.close();
}

/**
 * The races again, but between separate stores (connections or pools) on one database, as
 * between server instances or the server and the CLI: each must still have exactly one winner.
 */
export function severalConnectionTests(name: string, openShared: OpenShared): void {
  describe(name, () => {
    it('two connections racing 100 spends of a 5-use token: exactly five succeed', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const stores = await openShared(2);
      const [a, b] = stores as [Store, Store];
      try {
        const agent = await addAgent(a);
        const p = await addPermission(a, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: 5 }));
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            (i % 2 ? a : b).consumeUse(p.id, 'h', T0 + 1, [eventFor(p, 'permission.used', { i })]),
          ),
        );
        assert.equal(results.filter((r) => r !== null).length, 5);
        assert.equal((await b.getPermission(p.id))?.status, 'used');
        assert.equal((await a.listAudit({ event: 'permission.used', limit: 500 })).length, 5);
        assert.equal((await verifyChain(b)).ok, true);
      } finally {
        await closeAll(stores);
      }
    });

    it('two connections racing 100 token deliveries: exactly one claims it', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const stores = await openShared(2);
      const [a, b] = stores as [Store, Store];
      try {
        const agent = await addAgent(a);
        const p = await addPermission(a, makeApproved(agent.id, { tokenHash: null }));
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            (i % 2 ? a : b).claimTokenDelivery(p.id, `hash-${i}`, T0 + 1, [
              eventFor(p, 'token.delivered', { i }),
            ]),
          ),
        );
        const winners = results.filter((r) => r !== null);
        assert.equal(winners.length, 1);
        assert.equal((await b.getPermission(p.id))?.tokenHash, winners[0]?.tokenHash);
        assert.equal((await a.listAudit({ event: 'token.delivered', limit: 500 })).length, 1);
        assert.equal((await verifyChain(b)).ok, true);
      } finally {
        await closeAll(stores);
      }
    });

    it('two connections racing 100 requests with one idempotency key: one permission', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const stores = await openShared(2);
      const [a, b] = stores as [Store, Store];
      try {
        const agent = await addAgent(a);
        const claim = { agentId: agent.id, key: 'k', requestHash: 'h', createdAt: T0, expiresAt: T0 + 1000 };
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) => {
            const p = makePermission(agent.id);
            return (i % 2 ? a : b).insertPermissionIdempotent(
              p,
              [eventFor(p, 'permission.requested')],
              claim,
            );
          }),
        );
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal(new Set(results.map((r) => r.permission.id)).size, 1);
        assert.equal((await b.listPermissions({ agentId: agent.id, limit: 200 })).items.length, 1);
        assert.equal((await verifyChain(a)).ok, true);
      } finally {
        await closeAll(stores);
      }
    });

    it("two connections racing one user's votes: one recorded", { timeout: TEST_TIMEOUT_MS }, async () => {
      const stores = await openShared(2);
      const [a, b] = stores as [Store, Store];
      try {
        const p = await addPending(a);
        const ana = await addUser(b);
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? a : b).addApprovalVote(makeVote(p.id, ana), T0 + 1, [
              eventFor(p, 'approval.vote', { i }),
            ]),
          ),
        );
        assert.equal(results.filter((r) => r === 'recorded').length, 1);
        assert.equal((await a.listApprovalVotes(p.id)).length, 1);
        assert.equal((await b.listAudit({ event: 'approval.vote', limit: 500 })).length, 1);
      } finally {
        await closeAll(stores);
      }
    });

    it('three connections racing decisions and appends keep one unforked chain', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const stores = await openShared(3);
      try {
        const agent = await addAgent(stores[0] as Store);
        const p = await addPermission(stores[0] as Store, makePermission(agent.id));
        const work = Array.from({ length: 60 }, (_, i) => {
          const store = stores[i % 3] as Store;
          if (i % 4 !== 0) return store.appendAudit([makeEvent({ details: { i } })]).then(() => null);
          const status = i % 8 === 0 ? 'approved' : 'denied';
          return store.transitionPermission(p.id, ['pending'], { status }, [
            eventFor(p, `permission.${status}`),
          ]);
        });
        const results = await Promise.all(work);
        assert.equal(results.filter((r) => r !== null).length, 1);
        const result = await verifyChain(stores[2] as Store);
        assert.equal(result.ok, true);
        assert.equal(result.entries, 2 + 45 + 1, 'agent + request, 45 appends, one decision');
      } finally {
        await closeAll(stores);
      }
    });

    it('a disable racing requests on other connections: no live permission outlives it', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const stores = await openShared(3);
      try {
        const agent = await addAgent(stores[0] as Store);
        const inserts = Array.from({ length: 60 }, (_, i) => {
          const p = i % 2 ? makeApproved(agent.id, { tokenHash: `h${i}` }) : makePermission(agent.id);
          return (stores[i % 2] as Store).insertPermission(p, [eventFor(p, 'permission.requested')]).then(
            () => p.id,
            () => null,
          );
        });
        const disabling = (stores[2] as Store).disableAgent(agent.id, T0 + 1, 'x', () => [makeEvent()]);
        const landed = (await Promise.all(inserts)).filter((id) => id !== null);
        assert.ok(await disabling);
        for (const id of landed) {
          const p = await (stores[2] as Store).getPermission(id as string);
          assert.ok(p && (p.status === 'revoked' || p.status === 'cancelled'), `${id} is ${p?.status}`);
        }
        assert.equal((await verifyChain(stores[0] as Store)).ok, true);
      } finally {
        await closeAll(stores);
      }
    });

    it('a deny vote racing the approval on another connection: never both', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const stores = await openShared(2);
      const [a, b] = stores as [Store, Store];
      try {
        const ana = await addUser(a);
        for (let round = 0; round < 15; round++) {
          const p = await addPending(a);
          const [vote, approved] = await Promise.all([
            a.addApprovalVote(makeVote(p.id, ana, { decision: 'deny' }), T0 + 1, [
              eventFor(p, 'approval.vote'),
            ]),
            b.approvePending(p.id, { status: 'approved', decidedAt: T0 + 1 }, [
              eventFor(p, 'permission.approved'),
            ]),
          ]);
          assert.ok(
            (vote === 'recorded') !== (approved !== null),
            `round ${round}: vote ${vote}, approved ${approved !== null}`,
          );
        }
        assert.equal((await verifyChain(b)).ok, true);
      } finally {
        await closeAll(stores);
      }
    });

    it('two connections recording one policy version 40 times: recorded once, none fails', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const stores = await openShared(2);
      const [a, b] = stores as [Store, Store];
      try {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            recordVersion(
              i % 2 ? a : b,
              makeVersion(9, { firstInForceAt: T0 + i, origin: i % 2 ? 'start' : 'reload' }),
            ),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const page = await b.listPolicyVersions({ limit: 10 });
        assert.deepEqual(
          page.items.map((v) => v.version),
          [makeVersion(9).version],
        );
        assert.equal((await a.listAudit({ event: 'policy.in_force', limit: 500 })).length, 40);
        assert.equal((await verifyChain(a)).ok, true);
      } finally {
        await closeAll(stores);
      }
    });
  });
}
