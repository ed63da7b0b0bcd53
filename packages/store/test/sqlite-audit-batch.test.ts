import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyAuditLog } from '@agent-otp/core';
import { createAuditWriter } from '../src/audit-append.ts';
import { createSqlStore } from '../src/sql-store.ts';
import { createSqliteDriver } from '../src/sqlite-driver.ts';
import { allAudit, makeEvent } from './conformance/fixtures.ts';

/**
 * SQLite's group commit runs many transactions in one database transaction, and the audit
 * writer reads the stripe head once per batch and writes it once before COMMIT (see
 * SqlExecutor.batch). Transactions of one batch that roll back, before or after their append,
 * must leave the chain, the head row and the global seq exactly as if they had never run.
 */
describe('SQLite group commit: the audit head kept for the batch', () => {
  it('transactions rolled back in the middle of a batch leave a valid chain and head', async () => {
    const driver = createSqliteDriver(':memory:');
    const store = createSqlStore(driver);
    await store.migrate();
    const writer = createAuditWriter(driver, { anchorEvery: 128 });
    const append = (name: string) => (tx: Parameters<Parameters<typeof driver.transaction>[0]>[0]) =>
      writer.append(tx, [makeEvent({ event: name }), makeEvent({ event: `${name}.second` })]);
    const failure = new Error('refused after its audit entries');
    // Queued together, so they run in one batch: a success, a failure after its append, a
    // failure before any, two successes, a failure after its append, a success.
    const outcomes = await Promise.allSettled([
      driver.transaction(append('a')),
      driver.transaction(async (tx) => {
        await append('b')(tx);
        throw failure;
      }),
      driver.transaction(async () => {
        throw failure;
      }),
      driver.transaction(append('c')),
      driver.transaction(append('d')),
      driver.transaction(async (tx) => {
        assert.ok(tx.batch, 'the transactions of a group commit share a batch');
        await append('e')(tx);
        throw failure;
      }),
      driver.transaction(append('f')),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
    const entries = await allAudit(store);
    assert.deepEqual(
      entries.map((e) => e.event),
      ['a', 'a.second', 'c', 'c.second', 'd', 'd.second', 'f', 'f.second'],
    );
    assert.deepEqual(
      entries.map((e) => [e.seq, e.stripeSeq]),
      entries.map((_, i) => [i + 1, i + 1]),
      'dense seq and stripe_seq: no number of a rolled-back transaction is left behind or reused',
    );
    const [head] = await store.auditHeads();
    assert.deepEqual(head, { stripe: 0, stripeSeq: 8, hash: entries.at(-1)?.hash });
    const verification = await verifyAuditLog(store, null, 3);
    assert.equal(verification.ok, true, JSON.stringify(verification));

    // The next batch starts from the committed head.
    await driver.transaction(append('g'));
    const after = await allAudit(store);
    assert.equal(after.at(-1)?.stripeSeq, 10);
    assert.equal((await verifyAuditLog(store, null, 3)).ok, true);
    await store.close();
  });

  it('a batch whose every transaction rolls back leaves the head row as it was', async () => {
    const driver = createSqliteDriver(':memory:');
    const store = createSqlStore(driver);
    await store.migrate();
    const writer = createAuditWriter(driver, { anchorEvery: 128 });
    await driver.transaction((tx) => writer.append(tx, [makeEvent()]));
    const before = await store.auditHeads();
    const results = await Promise.allSettled(
      [1, 2, 3].map(() =>
        driver.transaction(async (tx) => {
          await writer.append(tx, [makeEvent()]);
          throw new Error('no');
        }),
      ),
    );
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.deepEqual(await store.auditHeads(), before);
    assert.equal((await allAudit(store)).length, 1);
    assert.equal((await verifyAuditLog(store, null, 3)).ok, true);
    await store.close();
  });
});
