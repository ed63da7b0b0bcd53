import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteDriver } from '../src/index.ts';

describe('SQLite checkpoints: after the commits, not inside one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-otp-checkpoint-'));
  const file = join(dir, 'test.db');
  const driver = createSqliteDriver(file);
  after(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the WAL is checkpointed on a later turn of the loop once it passes 1000 pages', async () => {
    await driver.run('CREATE TABLE t (n INTEGER, pad TEXT)');
    const pad = 'x'.repeat(3000); // about one page a row
    const walFrames = () => {
      const other = new Database(file);
      try {
        return (other.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[])[0];
      } finally {
        other.close();
      }
    };
    for (let i = 0; i < 1100; i++) {
      await driver.transaction((tx) => tx.run('INSERT INTO t VALUES (?, ?)', [i, pad]), { urgent: true });
    }
    // Committed without SQLite's automatic checkpoint: nothing copied back yet in this task.
    const before = walFrames();
    assert.ok(before && before.log >= 1000, `WAL frames ${before?.log}`);
    await new Promise((done) => setImmediate(done));
    await new Promise((done) => setImmediate(done));
    const afterTurn = walFrames();
    assert.ok(afterTurn && afterTurn.checkpointed >= 1000, `checkpointed ${afterTurn?.checkpointed}`);
  });
});
