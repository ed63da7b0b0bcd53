import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainAuditEntry } from '../src/audit/chain.ts';
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
      entries.push(chainAuditEntry(event, last ? { seq: last.seq, hash: last.hash } : null));
    }
  };
  append(count);
  return {
    entries,
    append,
    store: {
      listAudit: async (q: AuditQuery) => entries.filter((e) => e.seq > (q.afterSeq ?? 0)).slice(0, q.limit),
    },
    /** Re-chains every entry from `fromSeq` with new details: internally consistent, but not the original. */
    rewrite(fromSeq: number) {
      for (let i = fromSeq - 1; i < entries.length; i += 1) {
        const prev = entries[i - 1];
        const old = entries[i] as AuditEntry;
        entries[i] = chainAuditEntry(
          { ...old, details: { note: 'forged' } },
          prev ? { seq: prev.seq, hash: prev.hash } : null,
        );
      }
    },
  };
}

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
    const checkpoint = signer.sign({ seq: 12, hash: 'a'.repeat(64) }, 1000);
    assert.deepEqual(signer.parse(JSON.stringify(checkpoint)), checkpoint);
    const lines = [
      JSON.stringify({ ...checkpoint, seq: 11 }),
      JSON.stringify({ ...checkpoint, hash: 'b'.repeat(64) }),
      JSON.stringify({ ...checkpoint, at: 1001 }),
      JSON.stringify({ ...checkpoint, mac: `${checkpoint.mac.slice(0, 63)}0` }),
      JSON.stringify(
        createCheckpointSigner(Buffer.alloc(32, 8)).sign({ seq: 12, hash: 'a'.repeat(64) }, 1000),
      ),
      JSON.stringify({ ...checkpoint, extra: 1 }),
      JSON.stringify({ ...checkpoint, seq: '12' }),
      '{"seq":',
      '[]',
    ];
    for (const line of lines) assert.ok('invalid' in signer.parse(line), line);
  });
});

describe('verifyAuditLog with checkpoints', () => {
  it('reports an intact chain as anchored at the newest checkpoint, or as not anchored', async () => {
    const chain = memoryChain(20);
    const log = memoryLog([JSON.stringify(signer.sign(chain.entries[14] as AuditEntry, 5))]);
    const anchored = await verifyAuditLog(chain.store, anchorOf(log), 7);
    assert.equal(anchored.ok, true);
    assert.deepEqual(anchored.anchor, {
      status: 'anchored',
      location: log.location,
      seq: 15,
      hash: chain.entries[14]?.hash,
      at: 5,
      checkpoints: 1,
    });
    const none = await verifyAuditLog(chain.store, anchorOf(memoryLog(null)));
    assert.deepEqual(none.anchor, { status: 'not_anchored', location: log.location });
    assert.equal(none.ok, true);
  });

  it('detects the newest entries cut off, counting them', async () => {
    const chain = memoryChain(20);
    const log = memoryLog([JSON.stringify(signer.sign(chain.entries[19] as AuditEntry, 5))]);
    chain.entries.splice(15);
    const result = await verifyAuditLog(chain.store, anchorOf(log), 7);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.problem, 'truncated');
    assert.equal(result.missingEntries, 5);
    assert.equal(result.brokenAtSeq, 16);
    assert.match(
      result.reason,
      /chain ends at entry 15 .* signed entry 20: the newest 5 entries were removed/,
    );
  });

  it('detects a chain rewritten with recomputed hashes, even when it grew longer', async () => {
    const chain = memoryChain(20);
    const log = memoryLog([
      JSON.stringify(signer.sign(chain.entries[9] as AuditEntry, 5)),
      JSON.stringify(signer.sign(chain.entries[19] as AuditEntry, 6)),
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
    const good = signer.sign(chain.entries[4] as AuditEntry, 5);
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
