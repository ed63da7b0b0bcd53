import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashAuditEntry, type Store } from '@agent-otp/core';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { createSqliteStore } from '../src/index.ts';
import { migrations } from '../src/migrations/index.ts';
import { addAgent, allAudit, makeEvent, T0, TEST_TIMEOUT_MS, verifyChain } from './conformance/fixtures.ts';
import { severalConnectionTests } from './conformance/several-connections.ts';
import { runStoreConformance } from './conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'agent-otp-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `store-${++files}.sqlite`);

runStoreConformance('sqlite :memory:', async () => createSqliteStore(':memory:'));
runStoreConformance('sqlite file (WAL)', async () => createSqliteStore(newFile()));

/** Opens `count` stores on one new file, like that many processes sharing it. */
async function openShared(count: number): Promise<{ file: string; stores: Store[] }> {
  const file = newFile();
  const stores = Array.from({ length: count }, () => createSqliteStore(file));
  for (const store of stores) await store.migrate();
  return { file, stores };
}

severalConnectionTests(
  'sqlite file: several connections on one file',
  async (count) => (await openShared(count)).stores,
);

describe('sqlite file: reopening', () => {
  it('data and applied migrations survive closing and reopening the file', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const file = newFile();
    const first = createSqliteStore(file);
    await first.migrate();
    const agent = await addAgent(first);
    await first.close();
    const second = createSqliteStore(file);
    try {
      await second.migrate();
      assert.deepEqual(await second.getAgent(agent.id), agent);
      const raw = new Database(file, { readonly: true });
      const applied = raw.prepare('SELECT name FROM kysely_migration').all();
      raw.close();
      assert.deepEqual(
        applied,
        Object.keys(migrations).map((name) => ({ name })),
      );
    } finally {
      await second.close();
    }
  });
});

describe('sqlite file: upgrading an existing database', () => {
  it('permissions written before the enforcement column read as lenient, as they were issued', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const file = newFile();
    // The database as the previous release left it: migrated up to 002, one permission in it.
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '003'));
    const migrated = await new Migrator({
      db: old,
      provider: { getMigrations: async () => before },
    }).migrateToLatest();
    assert.equal(migrated.error, undefined);
    await old.destroy();
    const raw = new Database(file);
    raw.prepare("INSERT INTO agents VALUES ('agt_old', 'old', 'active', 'kh', 'ak_old', 1, 1)").run();
    raw
      .prepare(
        `INSERT INTO permissions (id, agent_id, action, resource, requested_scope, granted_scope, context, ttl_seconds, status, decision, policy_rule, policy_version, reason, token_hash, uses_remaining, approvals_required, created_at, decided_at, expires_at, updated_at)
         VALUES ('perm_old000000000', 'agt_old', 'file.read', NULL, '{}', '{}', '{}', 300, 'approved', 'auto_approve', 'r', 'v', NULL, 'th', 1, 1, 1, 1, ${T0}, 1)`,
      )
      .run();
    raw.close();
    const store = createSqliteStore(file);
    try {
      await store.migrate();
      const permission = await store.getPermission('perm_old000000000');
      assert.equal(permission?.enforcement, 'lenient');
      assert.equal(permission?.status, 'approved');
    } finally {
      await store.close();
    }
  });
});

describe('sqlite file: the audit chain detects tampering', () => {
  /** A store on a new file with `count` audit entries, and a raw connection to tamper with. */
  async function tamperable(count: number) {
    const file = newFile();
    const store = createSqliteStore(file);
    await store.migrate();
    await store.appendAudit(Array.from({ length: count }, (_, i) => makeEvent({ details: { amount: i } })));
    assert.equal((await verifyChain(store)).ok, true);
    return { store, raw: new Database(file) };
  }

  it('an edited details column breaks the chain at that entry', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { store, raw } = await tamperable(5);
    try {
      raw.prepare('UPDATE audit_log SET details = ? WHERE seq = 3').run(JSON.stringify({ amount: 1000 }));
      const result = await verifyChain(store);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.brokenAtSeq, 3);
      assert.equal(result.entries, 2);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('an edit with a recomputed hash breaks the link to the next entry', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const { store, raw } = await tamperable(5);
    try {
      const entries = await allAudit(store);
      const target = entries[2];
      assert.ok(target);
      const { seq, prevHash, hash: _hash, ...input } = target;
      const forged = { ...input, details: { amount: 1000 } };
      raw
        .prepare('UPDATE audit_log SET details = ?, hash = ? WHERE seq = ?')
        .run(JSON.stringify(forged.details), hashAuditEntry(forged, seq, prevHash), seq);
      const result = await verifyChain(store);
      assert.equal(!result.ok && result.brokenAtSeq, 4);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('a deleted entry is reported missing', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { store, raw } = await tamperable(5);
    try {
      raw.prepare('DELETE FROM audit_log WHERE seq = 2').run();
      const result = await verifyChain(store);
      assert.equal(!result.ok && result.brokenAtSeq, 2);
    } finally {
      raw.close();
      await store.close();
    }
  });
});
