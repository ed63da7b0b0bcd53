import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '@agent-otp/core';
import pg from 'pg';
import { createPostgresDriver, createPostgresStore } from '../src/index.ts';
import { migrations } from '../src/migrations/index.ts';
import { parseInt8, toPostgresPlaceholders } from '../src/postgres-driver.ts';
import { addAgent, hasCode, makeEvent, TEST_TIMEOUT_MS, verifyChain } from './conformance/fixtures.ts';
import { severalConnectionTests } from './conformance/several-connections.ts';
import { runStoreConformance } from './conformance.ts';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './postgres-test-db.ts';

describe('postgres driver: pure parts', () => {
  it('translates ? to $n outside quoted strings and identifiers', () => {
    assert.equal(
      toPostgresPlaceholders(`SELECT '?', "a?b" FROM t WHERE a = ? AND b IN (?, ?)`),
      `SELECT '?', "a?b" FROM t WHERE a = $1 AND b IN ($2, $3)`,
    );
    assert.equal(toPostgresPlaceholders('SELECT 1 WHERE a = $1'), 'SELECT 1 WHERE a = $1');
  });

  it('reads bigints exactly or not at all', () => {
    assert.equal(parseInt8('1700000000000'), 1_700_000_000_000);
    assert.equal(parseInt8('-9007199254740991'), -9_007_199_254_740_991);
    assert.throws(() => parseInt8('9007199254740993'), RangeError);
  });
});

const skip = await postgresSkipReason('the PostgreSQL store tests');
if (skip) {
  it('PostgreSQL store: conformance, several pools, driver', { skip }, () => {});
} else {
  /** A store on its own new database, dropped when the store is closed. */
  const freshStore = async (): Promise<Store> => {
    const db = await createTestDatabase();
    return closingDrops(createPostgresStore(db.url), db);
  };

  runStoreConformance('postgres', freshStore, async () => {
    const db = await createTestDatabase();
    const raw = createPostgresDriver(db.url);
    return {
      connect: async (options) => createPostgresStore(db.url, options),
      sql: raw,
      async destroy() {
        await raw.close();
        await db.drop();
      },
    };
  });

  severalConnectionTests('postgres: several pools on one database', async (count) => {
    const db = await createTestDatabase();
    let open = count;
    const stores = Array.from({ length: count }, () =>
      closingDrops(createPostgresStore(db.url, { maxConnections: 4 }), db, () => --open === 0),
    );
    for (const store of stores) await store.migrate();
    return stores;
  });

  describe('postgres: the database itself', () => {
    it('migrations apply once, also from two pools at the same time, and data survives', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const db = await createTestDatabase();
      try {
        const [a, b] = [createPostgresStore(db.url), createPostgresStore(db.url)];
        await Promise.all([a.migrate(), b.migrate()]);
        const agent = await addAgent(a);
        await a.close();
        await b.close();
        const again = createPostgresStore(db.url);
        await again.migrate();
        assert.deepEqual(await again.getAgent(agent.id), agent);
        await again.close();
        const applied = await query(db, 'SELECT name FROM kysely_migration ORDER BY name');
        assert.deepEqual(
          applied.map((r) => r.name),
          Object.keys(migrations),
        );
      } finally {
        await db.drop();
      }
    });

    it('times are bigint columns and read back as numbers; an unsafe one fails the read', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const db = await createTestDatabase();
      const store = createPostgresStore(db.url);
      try {
        await store.migrate();
        const agent = await addAgent(store);
        const types = await query(
          db,
          "SELECT data_type FROM information_schema.columns WHERE table_name = 'agents' AND column_name = 'created_at'",
        );
        assert.equal(types[0]?.data_type, 'bigint');
        assert.equal(typeof (await store.getAgent(agent.id))?.createdAt, 'number');
        await query(db, `UPDATE agents SET created_at = 9007199254740993 WHERE id = '${agent.id}'`);
        await assert.rejects(store.getAgent(agent.id), /MAX_SAFE_INTEGER/);
        // The failed read left the pool usable.
        assert.equal((await store.listAudit({ limit: 10 })).length, 1);
      } finally {
        await store.close();
        await db.drop();
      }
    });

    it('a transaction that fails rolls back everything and returns its connection', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const db = await createTestDatabase();
      const driver = createPostgresDriver(db.url, { maxConnections: 1 });
      const store = closingDrops(createPostgresStore(db.url), db);
      try {
        await store.migrate();
        for (let i = 0; i < 3; i++) {
          await assert.rejects(
            driver.transaction(async (tx) => {
              await tx.run("INSERT INTO agents VALUES ('agt_x', 'x', 'active', 'kh', 'ak', 1, 1)");
              await tx.run('SELECT no_such_column FROM agents');
            }),
            /no_such_column/,
          );
        }
        // With one connection in the pool, this would hang if a failed transaction kept it.
        assert.deepEqual(await driver.get('SELECT count(*) AS n FROM agents'), { n: 0 });
        await store.appendAudit([makeEvent()]);
        assert.equal((await verifyChain(store)).ok, true);
      } finally {
        await driver.close();
        await store.close();
      }
    });

    it('a value with a NUL character is VALIDATION_ERROR, not a database error', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const store = await freshStore();
      try {
        await store.migrate();
        for (const lookup of [store.getAgentByName('a\u0000b'), store.getUserByName('\u0000')]) {
          await assert.rejects(lookup, hasCode('VALIDATION_ERROR'));
        }
        assert.equal((await store.listAgents()).length, 0, 'the pool is still usable');
      } finally {
        await store.close();
      }
    });

    it('a unique violation is recognised by its SQLSTATE', { timeout: TEST_TIMEOUT_MS }, async () => {
      const db = await createTestDatabase();
      const driver = createPostgresDriver(db.url);
      try {
        await driver.run('CREATE TABLE t (id text PRIMARY KEY)');
        await driver.run('INSERT INTO t VALUES (?)', ['a']);
        const error = await driver.run('INSERT INTO t VALUES (?)', ['a']).catch((e: unknown) => e);
        assert.equal(driver.isUniqueViolation(error), true);
        assert.equal(driver.isUniqueViolation(new Error('other')), false);
      } finally {
        await driver.close();
        await db.drop();
      }
    });
  });
}

/** The store, whose close() also drops its database (when `last()` says it was the last one). */
function closingDrops(store: Store, db: TestDatabase, last: () => boolean = () => true): Store {
  return {
    ...store,
    async close() {
      await store.close();
      if (last()) await db.drop();
    },
  };
}

async function query(db: TestDatabase, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}
