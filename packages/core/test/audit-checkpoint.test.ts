import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalJson } from '../src/audit/canonical-json.ts';
import { chainAuditEntry, emptyStripeHead } from '../src/audit/chain.ts';
import type { StripeTip } from '../src/audit/chain-verifier.ts';
import { type AuditAnchor, type CheckpointLog, createCheckpointSigner } from '../src/audit/checkpoint.ts';
import { createAuditCheckpointer } from '../src/audit/checkpointer.ts';
import { verifyAuditLog } from '../src/audit/verify.ts';
import { createFixedClock } from '../src/clock.ts';
import type { AuditQuery } from '../src/store.ts';
import type { AuditEntry } from '../src/types.ts';

// Finding 13: the head of the audit chain is anchored by signed checkpoints kept outside the
// database, so cutting the newest entries or rewriting the chain with recomputed hashes shows.

const SECRET = Buffer.alloc(32, 7);
const signer = createCheckpointSigner(SECRET);

/** An in-memory audit log with the store's listAudit paging, that a test can cut or rewrite. */
function memoryChain(count: number) {
  const entries: AuditEntry[] = [];
  const append = (n: number, note = 'original') => {
    for (let i = 0; i < n; i += 1) {
      const last = entries.at(-1);
      const event = {
        id: `aud_${entries.length + 1}`,
        at: Date.UTC(2026, 0, 1) + entries.length,
        event: 'test.event',
        actor: { type: 'system' as const, id: 'test' },
        agentId: null,
        permissionId: null,
        policyVersion: null,
        details: { note },
      };
      entries.push(chainAuditEntry(event, last ?? emptyStripeHead(0), entries.length + 1));
    }
  };
  append(count);
  return {
    entries,
    append,
    store: {
      listAudit: async (q: AuditQuery) =>
        entries
          .filter((e) => e.seq > (q.afterSeq ?? 0) && e.stripeSeq > (q.afterStripeSeq ?? 0))
          .slice(0, q.limit),
      // The head row follows the entries: what an attacker who fixes the head table leaves.
      auditHeads: async () => [entries.at(-1) ?? emptyStripeHead(0)].map(tipOf),
    },
    /** Re-chains every entry from `fromSeq` with new details: internally consistent, but not the original. */
    rewrite(fromSeq: number) {
      for (let i = fromSeq - 1; i < entries.length; i += 1) {
        const prev = entries[i - 1];
        const old = entries[i] as AuditEntry;
        entries[i] = chainAuditEntry(
          { ...old, details: { note: 'forged' } },
          prev ?? emptyStripeHead(0),
          old.seq,
        );
      }
    },
  };
}

const tipOf = (e: { stripe: number; stripeSeq: number; hash: string; seq?: number }): StripeTip => ({
  stripe: e.stripe,
  stripeSeq: e.stripeSeq,
  seq: e.seq ?? 0,
  hash: e.hash,
});

function memoryLog(initial: string[] | null = null): CheckpointLog & { lines: string[] | null } {
  const log = {
    location: '/test/audit-checkpoints.jsonl',
    lines: initial,
    read: async () => (log.lines === null ? null : [...log.lines]),
    append: async (line: string) => {
      log.lines = [...(log.lines ?? []), line];
    },
  };
  return log;
}

const anchorOf = (log: CheckpointLog): AuditAnchor => ({ log, signer });

function checkpointerFor(
  chain: ReturnType<typeof memoryChain>,
  log: CheckpointLog,
  clock = createFixedClock(),
) {
  return createAuditCheckpointer({
    store: chain.store,
    anchor: anchorOf(log),
    clock,
    everyEntries: 10,
    intervalMs: 5000,
    pageSize: 4,
  });
}

describe('checkpoint signer', () => {
  it('accepts what it signed and refuses any change, junk, or another secret’s signature', () => {
    const checkpoint = signer.sign([{ stripe: 0, stripeSeq: 12, seq: 12, hash: 'a'.repeat(64) }], 1000);
    assert.deepEqual(signer.parse(JSON.stringify(checkpoint)), checkpoint);
    const lines = [
      JSON.stringify({ ...checkpoint, seq: 11 }),
      JSON.stringify({ ...checkpoint, hash: 'b'.repeat(64) }),
      JSON.stringify({ ...checkpoint, at: 1001 }),
      JSON.stringify({ ...checkpoint, mac: `${checkpoint.mac.slice(0, 63)}0` }),
      JSON.stringify(
        createCheckpointSigner(Buffer.alloc(32, 8)).sign(
          [{ stripe: 0, stripeSeq: 12, seq: 12, hash: 'a'.repeat(64) }],
          1000,
        ),
      ),
      JSON.stringify({ ...checkpoint, extra: 1 }),
      JSON.stringify({ ...checkpoint, seq: '12' }),
      '{"seq":',
      '[]',
      JSON.stringify({ ...checkpoint, heads: [] }),
      JSON.stringify({ ...checkpoint, heads: [...checkpoint.heads, ...checkpoint.heads] }),
    ];
    for (const line of lines) assert.ok('invalid' in signer.parse(line), line);
  });

  it('still reads a checkpoint line written before the log had stripes, as the head of stripe 0', () => {
    // The former form: {seq, hash, at, mac}, the MAC over {seq, hash, at} under the same key.
    const key = Buffer.from(hkdfSync('sha256', SECRET, '', 'agent-otp audit checkpoint v1', 32));
    const hash = 'c'.repeat(64);
    const mac = createHmac('sha256', key)
      .update(canonicalJson({ seq: 9, hash, at: 77 }))
      .digest('hex');
    const legacy = { seq: 9, hash, at: 77, mac };
    assert.deepEqual(signer.parse(JSON.stringify(legacy)), {
      v: 2,
      seq: 9,
      hash,
      heads: [{ stripe: 0, stripeSeq: 9, seq: 9, hash }],
      at: 77,
      mac,
    });
    assert.ok('invalid' in signer.parse(JSON.stringify({ ...legacy, seq: 10 })));
    // A legacy MAC does not pass as the new form's, nor the other way round.
    const signed = signer.sign([{ stripe: 0, stripeSeq: 9, seq: 9, hash }], 77);
    assert.ok('invalid' in signer.parse(JSON.stringify({ ...signed, mac })));
    assert.ok('invalid' in signer.parse(JSON.stringify({ ...legacy, mac: signed.mac })));
  });
});

describe('verifyAuditLog with checkpoints', () => {
  it('reports an intact chain as anchored at the newest checkpoint, or as not anchored', async () => {
    const chain = memoryChain(20);
    const log = memoryLog([JSON.stringify(signer.sign([tipOf(chain.entries[14] as AuditEntry)], 5))]);
    const anchored = await verifyAuditLog(chain.store, anchorOf(log), 7);
    assert.equal(anchored.ok, true);
    assert.deepEqual(anchored.anchor, {
      status: 'anchored',
      location: log.location,
      seq: 15,
      hash: chain.entries[14]?.hash,
      entries: 15,
      stripes: 1,
      at: 5,
      checkpoints: 1,
    });
    const none = await verifyAuditLog(chain.store, anchorOf(memoryLog(null)));
    assert.deepEqual(none.anchor, { status: 'not_anchored', location: log.location });
    assert.equal(none.ok, true);
  });

  it('detects the newest entries cut off, counting them', async () => {
    const chain = memoryChain(20);
    const log = memoryLog([JSON.stringify(signer.sign([tipOf(chain.entries[19] as AuditEntry)], 5))]);
    chain.entries.splice(15);
    const result = await verifyAuditLog(chain.store, anchorOf(log), 7);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.problem, 'truncated');
    assert.equal(result.missingEntries, 5);
    assert.equal(result.brokenAtSeq, 16);
    assert.match(
      result.reason,
      /the chain of stripe 0 ends at entry 15 but the checkpoint of .* signed entry 20: the newest 5 entries were removed/,
    );
  });

  it('detects a chain rewritten with recomputed hashes, even when it grew longer', async () => {
    const chain = memoryChain(20);
    const log = memoryLog([
      JSON.stringify(signer.sign([tipOf(chain.entries[9] as AuditEntry)], 5)),
      JSON.stringify(signer.sign([tipOf(chain.entries[19] as AuditEntry)], 6)),
    ]);
    chain.rewrite(12);
    chain.append(5, 'forged');
    const result = await verifyAuditLog(chain.store, anchorOf(log));
    assert.ok(!result.ok);
    assert.equal(result.problem, 'rewritten');
    assert.equal(result.brokenAtSeq, 20);
  });

  it('refuses a checkpoint file holding a line that is not a valid checkpoint', async () => {
    const chain = memoryChain(5);
    const good = signer.sign([tipOf(chain.entries[4] as AuditEntry)], 5);
    const log = memoryLog([JSON.stringify(good), JSON.stringify({ ...good, seq: 3 })]);
    const result = await verifyAuditLog(chain.store, anchorOf(log));
    assert.ok(!result.ok);
    assert.equal(result.problem, 'checkpoint');
    assert.match(result.reason, /line 2 is not a valid checkpoint: its signature does not match/);
  });
});

describe('createAuditCheckpointer', () => {
  it('signs the head at once, then every N entries or T ms, and on force', async () => {
    const chain = memoryChain(3);
    const log = memoryLog();
    const clock = createFixedClock(1000);
    const checkpointer = checkpointerFor(chain, log, clock);
    const first = await checkpointer.run();
    assert.equal(first.status, 'written');
    assert.equal((await checkpointer.run()).status, 'current');
    chain.append(5);
    assert.equal((await checkpointer.run()).status, 'not_due');
    clock.advance(5000);
    const byTime = await checkpointer.run();
    assert.ok(byTime.status === 'written' && byTime.checkpoint.seq === 8);
    chain.append(10);
    const byCount = await checkpointer.run();
    assert.ok(byCount.status === 'written' && byCount.checkpoint.seq === 18);
    chain.append(1);
    const forced = await checkpointer.run({ force: true });
    assert.ok(forced.status === 'written' && forced.checkpoint.seq === 19);
    assert.equal(log.lines?.length, 4);
    assert.equal((await verifyAuditLog(chain.store, anchorOf(log))).ok, true);
  });

  it('never signs a chain that no longer continues its last checkpoint', async () => {
    const chain = memoryChain(10);
    const log = memoryLog();
    await checkpointerFor(chain, log).run();
    // Cut and regrown past the old head: a fresh checkpointer (a restart) reads the file.
    chain.entries.splice(7);
    chain.append(6, 'regrown');
    const afterCut = await checkpointerFor(chain, log).run({ force: true });
    assert.deepEqual(afterCut, {
      status: 'diverged',
      reason: 'entry 10 no longer has the hash a checkpoint signed',
    });
    chain.entries.splice(8);
    assert.equal((await checkpointerFor(chain, log).run({ force: true })).status, 'diverged');
    assert.equal(log.lines?.length, 1, 'nothing was signed over the altered chain');
  });

  it('never signs entries after the last checkpoint that do not verify', async () => {
    const chain = memoryChain(4);
    const log = memoryLog();
    const checkpointer = checkpointerFor(chain, log);
    await checkpointer.run();
    chain.append(3);
    (chain.entries[5] as AuditEntry).details = { note: 'edited' };
    const outcome = await checkpointer.run({ force: true });
    assert.deepEqual(outcome, {
      status: 'diverged',
      reason: 'entry 6 was modified (its hash does not match)',
    });
    assert.equal(log.lines?.length, 1);
  });
});
