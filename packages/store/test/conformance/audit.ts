import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type AuditEntry, type AuditQuery, GENESIS_HASH, hashAuditEntry } from '@agent-otp/core';
import { allAudit, type MakeStore, makeAgent, makeEvent, storeTest, T0, verifyChain } from './fixtures.ts';

export function auditTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('audit log', () => {
    test('appendAudit chains entries: seq 1..n, each linked to the one before in its stripe', async (store) => {
      const events = Array.from({ length: 7 }, (_, i) =>
        makeEvent({
          at: T0 + i,
          event: `e${i}`,
          details: { i, note: 'ünïcode ✓', nested: { list: [i, null] } },
        }),
      );
      await store.appendAudit(events.slice(0, 3));
      await store.appendAudit([]);
      await store.appendAudit(events.slice(3));
      const entries = await allAudit(store, 3);
      assert.deepEqual(
        entries.map((e) => e.seq),
        [1, 2, 3, 4, 5, 6, 7],
      );
      const heads = new Map<number, AuditEntry>();
      entries.forEach((entry, i) => {
        const { seq, stripe, stripeSeq, prevHash, hash, ...input } = entry;
        assert.deepEqual(input, events[i], 'the entry reads back as it was given');
        const before = heads.get(stripe);
        assert.equal(stripeSeq, (before?.stripeSeq ?? 0) + 1, 'the next place in its stripe');
        assert.equal(prevHash, before?.hash ?? GENESIS_HASH, 'linked to the entry before it in its stripe');
        assert.equal(
          hash,
          hashAuditEntry(input, { seq, stripe, stripeSeq }, prevHash),
          'the hash covers the place',
        );
        heads.set(stripe, entry);
      });
      const verdict = await verifyChain(store);
      assert.ok(verdict.ok);
      assert.equal(verdict.entries, 7);
      assert.equal(verdict.headHash, entries[6]?.hash);
      const recorded = (await store.auditHeads()).filter((h) => h.stripeSeq > 0);
      assert.deepEqual(
        recorded,
        [...heads.values()]
          .map((e) => ({ stripe: e.stripe, stripeSeq: e.stripeSeq, hash: e.hash }))
          .sort((a, b) => a.stripe - b.stripe),
        'each stripe head row records its newest entry',
      );
    });

    test('state changes and appends share one chain', async (store) => {
      await store.appendAudit([makeEvent()]);
      const agent = makeAgent();
      await store.createAgent(agent, makeEvent());
      await store.appendAudit([makeEvent(), makeEvent()]);
      await store.disableAgent(agent.id, T0, 'off', () => [makeEvent()]);
      const result = await verifyChain(store);
      assert.equal(result.ok, true);
      assert.equal(result.entries, 5);
    });

    test('the hash covers what is stored, whatever shape the details arrive in', async (store) => {
      // Values JSON does not keep as they are: the chain must still verify after reading back.
      const details = {
        when: new Date(T0),
        gone: undefined,
        list: [undefined, 1],
        nan: Number.NaN,
        z: 1,
        a: 2,
      };
      const actor = { type: 'user', id: 'usr_x', extra: 'not stored' } as const;
      await store.appendAudit([makeEvent({ details, actor }), makeEvent()]);
      assert.equal((await verifyChain(store)).ok, true);
      const [first] = await allAudit(store);
      assert.deepEqual(first?.details, {
        when: new Date(T0).toISOString(),
        list: [null, 1],
        nan: null,
        z: 1,
        a: 2,
      });
      assert.deepEqual(first?.actor, { type: 'user', id: 'usr_x' });
    });

    test('listAudit filters and limits, in chain order', async (store) => {
      const rows = [
        makeEvent({ at: T0 + 0, event: 'permission.requested', agentId: 'agt_a', permissionId: 'perm_1' }),
        makeEvent({ at: T0 + 10, event: 'permission.approved', agentId: 'agt_a', permissionId: 'perm_1' }),
        makeEvent({ at: T0 + 20, event: 'permission.requested', agentId: 'agt_b', permissionId: 'perm_2' }),
        makeEvent({ at: T0 + 30, event: 'user.login', actor: { type: 'user', id: 'usr_1' } }),
        makeEvent({ at: T0 + 40, event: 'permission.used', agentId: 'agt_a', permissionId: 'perm_1' }),
        makeEvent({ at: T0 + 50, event: 'permission.requested', agentId: 'agt_a', permissionId: 'perm_3' }),
      ];
      await store.appendAudit(rows);
      const seqs = async (query: Partial<AuditQuery>) =>
        (await store.listAudit({ limit: 100, ...query })).map((e: AuditEntry) => e.seq);

      assert.deepEqual(await seqs({}), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(await seqs({ afterSeq: 4 }), [5, 6]);
      assert.deepEqual(await seqs({ afterSeq: 0 }), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(await seqs({ afterSeq: 6 }), []);
      assert.deepEqual(await seqs({ agentId: 'agt_a' }), [1, 2, 5, 6]);
      assert.deepEqual(await seqs({ permissionId: 'perm_1' }), [1, 2, 5]);
      assert.deepEqual(await seqs({ event: 'permission.requested' }), [1, 3, 6]);
      assert.deepEqual(await seqs({ since: T0 + 20 }), [3, 4, 5, 6], 'since is inclusive');
      assert.deepEqual(await seqs({ until: T0 + 20 }), [1, 2], 'until is exclusive');
      assert.deepEqual(await seqs({ since: T0 + 10, until: T0 + 41 }), [2, 3, 4, 5]);
      assert.deepEqual(await seqs({ agentId: 'agt_a', event: 'permission.requested', afterSeq: 1 }), [6]);
      assert.deepEqual(await seqs({ limit: 2 }), [1, 2]);
      assert.deepEqual(await seqs({ agentId: 'agt_a', limit: 3, afterSeq: 1 }), [2, 5, 6]);
      assert.deepEqual(await seqs({ agentId: 'agt_nobody' }), []);
    });

    test('listAudit pages backwards: beforeSeq and newest first', async (store) => {
      await store.appendAudit(
        Array.from({ length: 6 }, (_, i) =>
          makeEvent({ at: T0 + i * 10, agentId: i % 2 ? 'agt_a' : 'agt_b' }),
        ),
      );
      const seqs = async (query: Partial<AuditQuery>) =>
        (await store.listAudit({ limit: 100, ...query })).map((e: AuditEntry) => e.seq);
      assert.deepEqual(await seqs({ order: 'desc' }), [6, 5, 4, 3, 2, 1]);
      assert.deepEqual(await seqs({ order: 'desc', limit: 2 }), [6, 5], 'the limit keeps the newest');
      assert.deepEqual(await seqs({ order: 'desc', beforeSeq: 5, limit: 2 }), [4, 3]);
      assert.deepEqual(await seqs({ beforeSeq: 4 }), [1, 2, 3], 'beforeSeq alone keeps chain order');
      assert.deepEqual(await seqs({ order: 'desc', beforeSeq: 1 }), []);
      assert.deepEqual(await seqs({ order: 'desc', afterSeq: 2, beforeSeq: 6 }), [5, 4, 3]);
      assert.deepEqual(await seqs({ order: 'desc', agentId: 'agt_a', beforeSeq: 6 }), [4, 2]);
      assert.deepEqual(await seqs({ order: 'desc', until: T0 + 30 }), [3, 2, 1]);
      assert.deepEqual(await seqs({ order: 'asc', limit: 2 }), [1, 2]);
    });
  });
}
