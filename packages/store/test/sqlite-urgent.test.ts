import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSqliteDriver } from '../src/index.ts';

describe('SQLite group commit: urgent transactions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-otp-urgent-'));
  const driver = createSqliteDriver(join(dir, 'test.db'));
  after(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an urgent transaction commits before the loop turns (no wait for setImmediate), taking queued ones along', async () => {
    await driver.run('CREATE TABLE t (n INTEGER)');
    const order: string[] = [];
    // Queued before the transactions: a flush that waited for setImmediate would come after it.
    setImmediate(() => order.push('immediate'));
    const queued = driver
      .transaction((tx) => tx.run('INSERT INTO t VALUES (1)'))
      .then(() => order.push('queued'));
    const urgent = driver
      .transaction((tx) => tx.run('INSERT INTO t VALUES (2)'), { urgent: true })
      .then(() => order.push('urgent'));
    await Promise.all([queued, urgent]);
    // Both committed in the one flush the urgent transaction started, before any setImmediate.
    assert.deepEqual(order, ['queued', 'urgent']);
    assert.deepEqual(await driver.all('SELECT n FROM t ORDER BY n'), [{ n: 1 }, { n: 2 }]);
  });

  it('an urgent transaction that fails rolls back alone', async () => {
    const bad = driver.transaction(
      async (tx) => {
        await tx.run('INSERT INTO t VALUES (3)');
        throw new Error('refused');
      },
      { urgent: true },
    );
    const good = driver.transaction((tx) => tx.run('INSERT INTO t VALUES (4)'), { urgent: true });
    await assert.rejects(bad, /refused/);
    await good;
    assert.deepEqual(await driver.all('SELECT n FROM t WHERE n > 2 ORDER BY n'), [{ n: 4 }]);
  });
});
