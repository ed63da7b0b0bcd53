import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  canonicalJson,
  createCheckpointSigner,
  GENESIS_HASH,
  hashLegacyAuditEntry,
  type Store,
  verifyAuditLog,
} from '@agent-otp/core';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { createSqliteDriver, createSqliteStore } from '../src/index.ts';
import { migrations } from '../src/migrations/index.ts';
import { addAgent, allAudit, makeEvent, T0, TEST_TIMEOUT_MS, verifyChain } from './conformance/fixtures.ts';
import { severalConnectionTests } from './conformance/several-connections.ts';
import { runStoreConformance } from './conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'agent-otp-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `store-${++files}.sqlite`);

runStoreConformance('sqlite :memory:', async () => createSqliteStore(':memory:'));
runStoreConformance(
  'sqlite file (WAL)',
  async () => createSqliteStore(newFile()),
  async () => {
    const file = newFile();
    const raw = createSqliteDriver(file);
    return {
      connect: async (options) => createSqliteStore(file, options),
      sql: raw,
      destroy: () => raw.close(),
    };
  },
);

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

  it('an audit log written before stripes becomes stripe 0, its hashes and checkpoints still verifying', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const file = newFile();
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '006'));
    const migrated = await new Migrator({
      db: old,
      provider: { getMigrations: async () => before },
    }).migrateToLatest();
    assert.equal(migrated.error, undefined);
    await old.destroy();
    // Entries as the previous release wrote them: one chain, the hash over seq and content.
    const raw = new Database(file);
    const legacy: { seq: number; hash: string }[] = [];
    for (let seq = 1; seq <= 5; seq += 1) {
      const event = makeEvent({ at: T0 + seq, details: { seq } });
      const prevHash = legacy.at(-1)?.hash ?? GENESIS_HASH;
      const hash = hashLegacyAuditEntry(event, seq, prevHash);
      raw
        .prepare(
          'INSERT INTO audit_log (seq, id, at, event, actor_type, actor_id, agent_id, permission_id, policy_version, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          seq,
          event.id,
          event.at,
          event.event,
          event.actor.type,
          event.actor.id,
          null,
          null,
          null,
          JSON.stringify(event.details),
          prevHash,
          hash,
        );
      legacy.push({ seq, hash });
    }
    raw.close();
    // …and its checkpoint of entry 5, in the former line format.
    const secret = Buffer.alloc(32, 3);
    const key = Buffer.from(hkdfSync('sha256', secret, '', 'agent-otp audit checkpoint v1', 32));
    const head = legacy[4] as { seq: number; hash: string };
    const signed = { seq: 5, hash: head.hash, at: T0 };
    const line = JSON.stringify({
      ...signed,
      mac: createHmac('sha256', key).update(canonicalJson(signed)).digest('hex'),
    });
    const anchor = {
      signer: createCheckpointSigner(secret),
      log: { location: 'legacy.jsonl', read: async () => [line], append: async () => undefined },
    };

    const store = createSqliteStore(file, { auditStripes: 4, auditAnchorEvery: 4 });
    try {
      await store.migrate();
      const upgraded = await allAudit(store);
      assert.deepEqual(
        upgraded.map((e) => [e.seq, e.stripe, e.stripeSeq, e.hash]),
        legacy.map((e) => [e.seq, 0, e.seq, e.hash]),
        'stripe 0, place = seq, hashes untouched',
      );
      assert.deepEqual(await store.auditHeads(), [
        { stripe: 0, stripeSeq: 5, hash: head.hash },
        ...[1, 2, 3].map((stripe) => ({ stripe, stripeSeq: 0, hash: GENESIS_HASH })),
      ]);
      // One transaction per event: each goes to its permission's stripe.
      for (let i = 0; i < 30; i += 1)
        await store.appendAudit([makeEvent({ permissionId: `perm_up${i}xxxxxxxxxx` })]);
      const verdict = await verifyAuditLog(store, anchor);
      assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
      assert.equal(verdict.anchor.status, 'anchored', 'the former checkpoint still anchors stripe 0');
      assert.ok(
        (await allAudit(store)).some((e) => e.stripe === 0 && e.stripeSeq > 5),
        'stripe 0 goes on',
      );
      // An old entry edited is still caught.
      const tamper = new Database(file);
      tamper.prepare('UPDATE audit_log SET details = ? WHERE seq = 2').run('{"seq":20}');
      tamper.close();
      const broken = await verifyAuditLog(store, anchor);
      assert.equal(broken.ok, false);
      assert.equal(!broken.ok && broken.brokenAtSeq, 2);
    } finally {
      await store.close();
    }
  });
});
