import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  ANCHOR_EVENT,
  type AuditAnchor,
  type AuditEntry,
  type AuditVerification,
  anchorHeads,
  type CheckpointLog,
  createAuditCheckpointer,
  createCheckpointSigner,
  createFixedClock,
  hashAuditEntry,
  type Store,
  verifyAuditLog,
} from '@agent-otp/core';
import type { SqlExecutor } from '../../src/index.ts';
import {
  addAgent,
  addPermission,
  allAudit,
  eventFor,
  makeEvent,
  makePermission,
  TEST_TIMEOUT_MS,
} from './fixtures.ts';

export interface StripeOptions {
  auditStripes: number;
  auditAnchorEvery: number;
}

/** One new, empty database, reachable through several connections and raw SQL (to tamper with). */
export interface StripedDatabase {
  /** A new connection (a Store) to this database with these options; the suite migrates and closes it. */
  connect(options: StripeOptions): Promise<Store>;
  /** Raw SQL (`?` placeholders) on this database, as someone with write access to it. */
  sql: SqlExecutor;
  /** Closes the raw connection and drops the database. */
  destroy(): Promise<void>;
}

export type MakeStripedDatabase = () => Promise<StripedDatabase>;

const secret = Buffer.alloc(32, 5);

function memoryLog(): CheckpointLog & { lines: string[] } {
  const log = {
    location: '/test/checkpoints.jsonl',
    lines: [] as string[],
    read: async () => (log.lines.length === 0 ? null : [...log.lines]),
    append: async (line: string) => {
      log.lines.push(line);
    },
  };
  return log;
}

const failure = (result: AuditVerification) => {
  assert.equal(result.ok, false, 'the tampering is detected');
  return result as Extract<AuditVerification, { ok: false }>;
};

/** The events of `n` permissions of several agents: they spread over the stripes. */
const spreadEvents = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) =>
    makeEvent({ permissionId: `perm_${from + i}xxxxxxxxxxxx`, details: { amount: from + i } }),
  );

/**
 * The audit log as several stripes: appends from several connections at once, and every kind of
 * tampering `audit verify` must catch, with 1 stripe and with several.
 */
export function auditStripeTests(makeDatabase: MakeStripedDatabase): void {
  /** A test on a new database; `open` opens (and migrates) connections that are closed after. */
  const test = (
    name: string,
    fn: (db: StripedDatabase, open: (o: StripeOptions) => Promise<Store>) => Promise<void>,
  ) =>
    it(name, { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
      const db = await makeDatabase();
      const opened: Store[] = [];
      try {
        await fn(db, async (options) => {
          const store = await db.connect(options);
          opened.push(store);
          await store.migrate();
          return store;
        });
      } finally {
        for (const store of opened) await store.close();
        await db.destroy();
      }
    });

  describe('audit log with several stripes', () => {
    const FOUR = { auditStripes: 4, auditAnchorEvery: 4 };

    test('entries spread over the stripes, each its own chain, cross-anchored; verify proves it', async (_db, open) => {
      const store = await open(FOUR);
      for (let i = 0; i < 8; i += 1) await store.appendAudit(spreadEvents(5, i * 5));
      const entries = await allAudit(store, 7);
      const stripes = new Map<number, AuditEntry[]>();
      for (const e of entries) stripes.set(e.stripe, [...(stripes.get(e.stripe) ?? []), e]);
      assert.ok(stripes.size > 1, 'more than one stripe is used');
      for (const chain of stripes.values()) {
        chain.forEach((e, i) => {
          assert.equal(e.stripeSeq, i + 1);
          assert.equal(e.prevHash, i === 0 ? '0'.repeat(64) : chain[i - 1]?.hash);
          assert.equal(e.hash, hashAuditEntry(e, e, e.prevHash));
        });
      }
      const anchors = entries.filter((e) => e.event === ANCHOR_EVENT);
      assert.ok(anchors.length > 0, 'cross-anchors were written');
      for (const anchor of anchors) {
        const heads = anchorHeads(anchor);
        assert.equal(heads?.length, 4, 'an anchor records every stripe');
        for (const head of heads ?? []) {
          if (head.stripeSeq === 0) continue;
          const entry = stripes.get(head.stripe)?.[head.stripeSeq - 1];
          assert.equal(entry?.hash, head.hash, 'the recorded head is that entry');
          assert.ok((entry?.seq ?? 0) < anchor.seq, 'recorded before the anchor');
        }
      }
      assert.equal((await store.auditHeads()).length, 4);
      // One stripe reads in its own order, and pages by its places.
      const [busiest, chain] = [...stripes].sort((x, y) => y[1].length - x[1].length)[0] as [
        number,
        AuditEntry[],
      ];
      assert.deepEqual(
        (await store.listAudit({ stripe: busiest, afterStripeSeq: 1, limit: 2 })).map((e) => e.stripeSeq),
        [2, 3],
      );
      assert.deepEqual(
        (await store.listAudit({ stripe: busiest, order: 'desc', limit: 1 })).map((e) => e.hash),
        [chain.at(-1)?.hash],
      );
      const verdict = await verifyAuditLog(store, null);
      assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
      assert.equal(verdict.entries, entries.length);
      assert.equal(verdict.stripes, 4);
    });

    test('three connections appending and deciding at once keep every stripe unforked', async (_db, open) => {
      const stores = [await open(FOUR), await open(FOUR), await open(FOUR)];
      const [a] = stores as [Store];
      const agent = await addAgent(a);
      const p = await addPermission(a, makePermission(agent.id));
      const work = Array.from({ length: 90 }, (_, i) => {
        const store = stores[i % 3] as Store;
        if (i % 5 !== 0) return store.appendAudit(spreadEvents((i % 3) + 1, i * 10)).then(() => null);
        const status = i % 10 === 0 ? 'approved' : 'denied';
        return store.transitionPermission(p.id, ['pending'], { status }, [
          eventFor(p, `permission.${status}`),
        ]);
      });
      const results = await Promise.all(work);
      assert.equal(results.filter((r) => r !== null).length, 1, 'one decision wins');
      const entries = await allAudit(stores[2] as Store, 100);
      const places = new Set(entries.map((e) => `${e.stripe}:${e.stripeSeq}`));
      assert.equal(places.size, entries.length, 'no place in a stripe is taken twice');
      const verdict = await verifyAuditLog(stores[1] as Store, null);
      assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
      const appended = 72 * 2 + 1 + 2; // 72 appends of 1–3 events (2 on average), the decision, agent + request
      assert.equal(entries.filter((e) => e.event !== ANCHOR_EVENT).length, appended);
    });

    test('verify and the checkpointer running while three connections append never raise a false alarm', async (_db, open) => {
      const stores = [await open(FOUR), await open(FOUR), await open(FOUR)];
      const log = memoryLog();
      const anchor: AuditAnchor = { log, signer: createCheckpointSigner(secret) };
      const reader = stores[0] as Store;
      const checkpointer = createAuditCheckpointer({
        store: reader,
        anchor,
        clock: createFixedClock(),
        everyEntries: 1,
        intervalMs: 1,
      });
      let writing = true;
      // However the writers end, the checks stop with them (a failed writer must not leave them looping).
      const writers = Promise.all(
        stores.map(async (store, w) => {
          for (let i = 0; i < 40; i += 1)
            await store.appendAudit(spreadEvents((i % 2) + 1, w * 1000 + i * 10));
        }),
      ).finally(() => {
        writing = false;
      });
      const checks = (async () => {
        const verdicts: AuditVerification[] = [];
        while (writing && verdicts.length < 50) {
          const outcome = await checkpointer.run({ force: true });
          assert.notEqual(outcome.status, 'diverged', JSON.stringify(outcome));
          verdicts.push(await verifyAuditLog(reader, anchor, 7));
          // SQLite reads resolve without a turn of the event loop; its writers commit on the next.
          await nextTurn();
        }
        return verdicts;
      })();
      const [verdicts] = await Promise.all([checks, writers]);
      verdicts.push(await verifyAuditLog(reader, anchor, 7));
      for (const verdict of verdicts) assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
      assert.ok(verdicts.length > 1, 'checked while writing');
    });

    test('the stripe count is stored: a connection asking for fewer changes nothing, more adds stripes', async (_db, open) => {
      const four = await open(FOUR);
      await four.appendAudit(spreadEvents(12));
      const two = await open({ auditStripes: 2, auditAnchorEvery: 4 });
      assert.equal((await two.auditHeads()).length, 4, 'stripes are never removed');
      await two.appendAudit(spreadEvents(12, 100));
      const six = await open({ auditStripes: 6, auditAnchorEvery: 4 });
      assert.equal((await six.auditHeads()).length, 6);
      await six.appendAudit(spreadEvents(30, 200));
      const verdict = await verifyAuditLog(four, null);
      assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
    });

    test('a signed checkpoint covers every stripe: cutting every tail and fixing the head rows shows', async (db, open) => {
      const store = await open(FOUR);
      await store.appendAudit(spreadEvents(30));
      const log = memoryLog();
      const anchor: AuditAnchor = { log, signer: createCheckpointSigner(secret) };
      const checkpointer = createAuditCheckpointer({
        store,
        anchor,
        clock: createFixedClock(),
        everyEntries: 1,
        intervalMs: 1,
      });
      const written = await checkpointer.run({ force: true });
      assert.equal(written.status, 'written');
      assert.equal(written.status === 'written' && written.checkpoint.heads.length, 4);
      const anchored = await verifyAuditLog(store, anchor);
      assert.ok(anchored.ok && anchored.anchor.status === 'anchored');
      assert.equal(anchored.anchor.status === 'anchored' && anchored.anchor.entries, anchored.entries);
      // The newest entry of every stripe removed, and each head row moved back to match: the log
      // alone is consistent again; only the checkpoint outside the database still knows.
      for (const head of await store.auditHeads()) {
        if (head.stripeSeq === 0) continue;
        await db.sql.run('DELETE FROM audit_log WHERE stripe = ? AND stripe_seq = ?', [
          head.stripe,
          head.stripeSeq,
        ]);
        const [before] = await store.listAudit({
          stripe: head.stripe,
          afterStripeSeq: head.stripeSeq - 2,
          limit: 1,
        });
        await db.sql.run('UPDATE audit_heads SET stripe_seq = ?, hash = ? WHERE stripe = ?', [
          head.stripeSeq - 1,
          before?.hash ?? '0'.repeat(64),
          head.stripe,
        ]);
      }
      const result = failure(await verifyAuditLog(store, anchor));
      assert.equal(result.problem, 'truncated');
      assert.match(result.reason, /but the checkpoint of .* signed entry/);
      assert.equal((await checkpointer.run({ force: true })).status, 'diverged', 'nothing is signed over it');
    });

    for (const stripes of [1, 4]) {
      describe(`tampering is detected (${stripes} ${stripes === 1 ? 'stripe' : 'stripes'})`, () => {
        const options = { auditStripes: stripes, auditAnchorEvery: 4 };
        /** A log of 40 entries (and its anchors); `target` is a middle entry of a stripe with several. */
        async function tamperable(open: (o: StripeOptions) => Promise<Store>) {
          const store = await open(options);
          await store.appendAudit(spreadEvents(20));
          for (let i = 0; i < 20; i += 1) await store.appendAudit(spreadEvents(1, 100 + i));
          const entries = await allAudit(store, 100);
          const counts = new Map<number, number>();
          for (const e of entries) counts.set(e.stripe, (counts.get(e.stripe) ?? 0) + 1);
          const stripe = [...counts].sort((x, y) => y[1] - x[1])[0]?.[0] ?? 0;
          const chain = entries.filter((e) => e.stripe === stripe && e.event !== ANCHOR_EVENT);
          const target = chain[Math.floor(chain.length / 2)] as AuditEntry;
          const after = entries.find((e) => e.stripe === stripe && e.stripeSeq === target.stripeSeq + 1);
          const verdict = await verifyAuditLog(store, null);
          assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
          return { store, entries, stripe, target, after: after as AuditEntry };
        }

        test('an edited entry breaks at that entry', async (db, open) => {
          const { store, target } = await tamperable(open);
          await db.sql.run('UPDATE audit_log SET details = ? WHERE seq = ?', ['{"amount":1000}', target.seq]);
          const result = failure(await verifyAuditLog(store, null));
          assert.equal(result.problem, 'chain');
          assert.equal(result.brokenAtSeq, target.seq);
          assert.match(result.reason, /was modified/);
        });

        test('an edit with a recomputed hash breaks the link of the next entry in its stripe', async (db, open) => {
          const { store, target, after } = await tamperable(open);
          const forged = { ...target, details: { amount: 1000 } };
          await db.sql.run('UPDATE audit_log SET details = ?, hash = ? WHERE seq = ?', [
            JSON.stringify(forged.details),
            hashAuditEntry(forged, forged, forged.prevHash),
            target.seq,
          ]);
          const result = failure(await verifyAuditLog(store, null));
          assert.equal(result.brokenAtSeq, after.seq);
          assert.match(result.reason, /does not link/);
        });

        test('a deleted middle entry is reported missing', async (db, open) => {
          const { store, target, after } = await tamperable(open);
          await db.sql.run('DELETE FROM audit_log WHERE seq = ?', [target.seq]);
          const result = failure(await verifyAuditLog(store, null));
          assert.equal(result.brokenAtSeq, after.seq);
          assert.match(
            result.reason,
            new RegExp(`entry ${target.stripeSeq} of stripe ${target.stripe} is missing`),
          );
        });

        test('the tail of one stripe cut off is reported truncated by its head row', async (db, open) => {
          const { store, stripe, target } = await tamperable(open);
          await db.sql.run('DELETE FROM audit_log WHERE stripe = ? AND stripe_seq >= ?', [
            stripe,
            target.stripeSeq,
          ]);
          const result = failure(await verifyAuditLog(store, null));
          assert.equal(result.problem, 'truncated');
          assert.match(
            result.reason,
            new RegExp(`the chain of stripe ${stripe} ends at entry ${target.stripeSeq - 1}`),
          );
        });

        test('entries swapped in the order (their seq exchanged) are detected', async (db, open) => {
          const { store, target, entries } = await tamperable(open);
          const other = entries.find((e) => e.seq > target.seq + 2) as AuditEntry;
          await db.sql.run('UPDATE audit_log SET seq = ? WHERE seq = ?', [-1, target.seq]);
          await db.sql.run('UPDATE audit_log SET seq = ? WHERE seq = ?', [target.seq, other.seq]);
          await db.sql.run('UPDATE audit_log SET seq = ? WHERE seq = ?', [other.seq, -1]);
          const result = failure(await verifyAuditLog(store, null));
          assert.equal(result.problem, 'chain');
          assert.equal(result.brokenAtSeq, target.seq);
        });

        test('a head row moved back without cutting the entries after it is detected', async (db, open) => {
          const { store, stripe, target } = await tamperable(open);
          await db.sql.run('UPDATE audit_heads SET stripe_seq = ?, hash = ? WHERE stripe = ?', [
            target.stripeSeq,
            target.hash,
            stripe,
          ]);
          const result = failure(await verifyAuditLog(store, null));
          assert.match(
            result.reason,
            new RegExp(`stripe ${stripe} has entries after the head its audit_heads row records`),
          );
        });

        test('an entry inserted in a stripe the head table does not have is detected', async (db, open) => {
          const { store, entries } = await tamperable(open);
          const last = entries.at(-1) as AuditEntry;
          const forged = {
            ...last,
            id: 'aud_forgedxxxxxxxxxx',
            seq: last.seq + 1,
            stripe: 9,
            stripeSeq: 1,
            prevHash: '0'.repeat(64),
          };
          await db.sql.run(
            'INSERT INTO audit_log (seq, stripe, stripe_seq, id, at, event, actor_type, actor_id, agent_id, permission_id, policy_version, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [
              forged.seq,
              9,
              1,
              forged.id,
              forged.at,
              forged.event,
              forged.actor.type,
              forged.actor.id,
              forged.agentId,
              forged.permissionId,
              forged.policyVersion,
              JSON.stringify(forged.details),
              forged.prevHash,
              hashAuditEntry(forged, forged, forged.prevHash),
            ],
          );
          const result = failure(await verifyAuditLog(store, null));
          assert.equal(result.brokenAtSeq, forged.seq);
          assert.match(result.reason, /stripe 9, which the audit_heads table does not have/);
        });

        if (stripes > 1) {
          test('a stripe cut and its head row moved back is caught by a cross-anchor in another stripe', async (db, open) => {
            const { store, entries } = await tamperable(open);
            // The newest anchor's record of some other stripe: cut that stripe to before it.
            const anchor = entries.filter((e) => e.event === ANCHOR_EVENT).at(-1) as AuditEntry;
            const claim = anchorHeads(anchor)?.find((h) => h.stripe !== anchor.stripe && h.stripeSeq >= 2);
            assert.ok(claim, 'the anchor records another non-empty stripe');
            await db.sql.run('DELETE FROM audit_log WHERE stripe = ? AND stripe_seq >= ?', [
              claim.stripe,
              claim.stripeSeq,
            ]);
            const kept = entries.find(
              (e) => e.stripe === claim.stripe && e.stripeSeq === claim.stripeSeq - 1,
            );
            await db.sql.run('UPDATE audit_heads SET stripe_seq = ?, hash = ? WHERE stripe = ?', [
              claim.stripeSeq - 1,
              kept?.hash,
              claim.stripe,
            ]);
            const result = failure(await verifyAuditLog(store, null));
            assert.equal(result.problem, 'truncated');
            assert.match(
              result.reason,
              new RegExp(`the cross-anchor at entry \\d+ recorded entry ${claim.stripeSeq}`),
            );
          });
        }
      });
    }
  });
}
