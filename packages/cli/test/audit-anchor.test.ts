import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type AuditEntry,
  chainAuditEntry,
  createChainVerifier,
  createCheckpointSigner,
  emptyStripeHead,
  newId,
} from '@agent-otp/core';
import { parseConfig, startServer } from '@agent-otp/server';
import { createSqliteDriver, createSqliteStore } from '@agent-otp/store';
import { run, tempDir } from './helpers.ts';

// Finding 13: `audit verify` said "intact" after the newest entries were deleted, and after the
// whole chain was rewritten with recomputed hashes. The server now signs checkpoints of the head
// (kept outside the database) and `audit verify` checks the chain against them.

const temp = tempDir();
after(() => temp.remove());

const ENTRIES = 40;
let dirs = 0;

/**
 * A data directory whose chain was anchored the way production anchors it: a real server ran,
 * entries were written, and its graceful shutdown signed a checkpoint at the head.
 */
async function anchoredDataDir(
  env: Record<string, string> = {},
): Promise<{ dataDir: string; head: AuditEntry }> {
  dirs += 1;
  const dataDir = join(temp.dir, `data-${dirs}`);
  const server = await startServer(
    parseConfig({
      PORT: '0',
      AGENT_OTP_DATA_DIR: dataDir,
      AGENT_OTP_LOG_LEVEL: 'silent',
      AGENT_OTP_POLICY_WATCH: 'false',
      AGENT_OTP_ADMIN_PASSWORD: 'a-long-enough-password',
      ...env,
    }),
  );
  const { store } = server.runtime;
  const existing = (await store.listAudit({ limit: 1000 })).length;
  await store.appendAudit(
    Array.from({ length: ENTRIES - existing }, (_, i) => ({
      id: newId('audit'),
      at: Date.UTC(2026, 0, 1) + i,
      event: 'test.event',
      actor: { type: 'system' as const, id: 'test' },
      agentId: null,
      permissionId: null,
      policyVersion: null,
      details: { i },
    })),
  );
  const head = (await store.listAudit({ afterSeq: ENTRIES - 1, limit: 1 }))[0] as AuditEntry;
  await server.close();
  return { dataDir, head };
}

/** Direct database access: what an attacker without the server secret can do. */
async function withDatabase(
  dataDir: string,
  work: (db: ReturnType<typeof createSqliteDriver>) => Promise<void>,
) {
  const db = createSqliteDriver(join(dataDir, 'agent-otp.db'));
  try {
    await work(db);
  } finally {
    await db.close();
  }
}

async function verify(dataDir: string, env: Record<string, string> = {}) {
  const [human, json] = await Promise.all([
    run(['audit', 'verify'], dataDir, env),
    run(['audit', 'verify', '--json'], dataDir, env),
  ]);
  return { human, json: { code: json.code, body: JSON.parse(json.stdout) } };
}

describe('finding 13: audit verify checks the chain against signed checkpoints', () => {
  test('an intact chain is reported anchored at the head (checkpoint file path configurable)', async () => {
    const file = join(temp.dir, 'elsewhere', 'checkpoints.jsonl');
    const env = { AGENT_OTP_AUDIT_CHECKPOINT_FILE: file };
    const { dataDir, head } = await anchoredDataDir(env);
    const { human, json } = await verify(dataDir, env);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      new RegExp(
        `^audit chain intact: ${ENTRIES} entries, head ${head.hash}\\nanchored at entry ${ENTRIES} by a signed checkpoint of .*Z \\(${file}\\)\\n$`,
      ),
    );
    assert.equal(json.code, 0);
    assert.equal(json.body.anchor.status, 'anchored');
    assert.equal(json.body.anchor.seq, ENTRIES);
    assert.equal(json.body.anchor.hash, head.hash);
  });

  test('deleting the newest 5 entries is reported as truncation, with the count', async () => {
    const { dataDir } = await anchoredDataDir();
    await withDatabase(dataDir, async (db) => {
      assert.equal((await db.run('DELETE FROM audit_log WHERE seq > ?', [ENTRIES - 5])).changes, 5);
    });
    const { human, json } = await verify(dataDir);
    assert.equal(human.code, 1);
    assert.match(
      human.stderr,
      new RegExp(
        `^agent-otp: audit chain BROKEN at entry ${ENTRIES - 4}: truncated: the chain of stripe 0 ends at entry ${ENTRIES - 5} ` +
          `but the checkpoint of .* signed entry ${ENTRIES}: the newest 5 entries were removed\\n$`,
      ),
    );
    assert.equal(json.code, 1);
    assert.equal(json.body.problem, 'truncated');
    assert.equal(json.body.missingEntries, 5);
  });

  test('a whole chain rewritten with recomputed hashes is detected', async () => {
    const { dataDir } = await anchoredDataDir();
    // Rewrite every entry from the first one: new details, hashes and links recomputed, so the
    // chain is internally consistent; then one forged entry more, so it is not shorter either.
    await withDatabase(dataDir, async (db) => {
      const store = createSqliteStore(join(dataDir, 'agent-otp.db'));
      const original = await store.listAudit({ limit: 1000 });
      await store.close();
      let prev: AuditEntry | null = null;
      const forged: AuditEntry[] = [];
      for (const entry of [...original, { ...(original.at(-1) as AuditEntry), id: newId('audit') }]) {
        const next = chainAuditEntry(
          { ...entry, details: { ...entry.details, forged: true } },
          prev ?? emptyStripeHead(0),
          (prev?.seq ?? 0) + 1,
        );
        forged.push(next);
        prev = next;
      }
      await db.run('DELETE FROM audit_log');
      for (const e of forged) {
        await db.run(
          'INSERT INTO audit_log (seq, stripe, stripe_seq, id, at, event, actor_type, actor_id, agent_id, permission_id, policy_version, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [
            e.seq,
            e.stripe,
            e.stripeSeq,
            e.id,
            e.at,
            e.event,
            e.actor.type,
            e.actor.id,
            e.agentId,
            e.permissionId,
            e.policyVersion,
            JSON.stringify(e.details),
            e.prevHash,
            e.hash,
          ],
        );
      }
      const check = createChainVerifier();
      for (const e of forged) check.add(e);
      assert.equal(check.result().ok, true, 'the forged chain links up: only the checkpoint can tell');
      // The attacker fixes the head row too, so the log alone is consistent.
      const last = forged.at(-1) as AuditEntry;
      await db.run('UPDATE audit_heads SET stripe_seq = ?, hash = ? WHERE stripe = 0', [
        last.stripeSeq,
        last.hash,
      ]);
    });
    const { human, json } = await verify(dataDir);
    assert.equal(human.code, 1);
    // Every checkpoint's entry was rewritten; the first one the walk meets is reported (the
    // server may have signed an early head at start as well as the head at shutdown).
    assert.match(
      human.stderr,
      /^agent-otp: audit chain BROKEN at entry (\d+): entry \1 \(entry \1 of stripe 0\) is not the one the checkpoint of .* signed: the chain was rewritten\n$/,
    );
    assert.equal(json.body.problem, 'rewritten');
  });

  test('a checkpoint with a tampered mac, or signed under another secret, is refused', async () => {
    const { dataDir, head } = await anchoredDataDir();
    const file = join(dataDir, 'audit-checkpoints.jsonl');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const newest = JSON.parse(lines.at(-1) as string);
    // Moving the anchor back (to hide a later truncation) without the key: the mac no longer fits.
    const moved = { ...newest, seq: ENTRIES - 5, hash: 'f'.repeat(64) };
    writeFileSync(file, `${[...lines, JSON.stringify(moved)].join('\n')}\n`);
    const tampered = await verify(dataDir);
    assert.equal(tampered.human.code, 1);
    assert.equal(
      tampered.human.stderr,
      `agent-otp: audit chain BROKEN: checkpoint file ${file} line ${lines.length + 1} is not a valid checkpoint: its signature does not match (forged, edited, or signed under another server secret)\n`,
    );
    assert.equal(tampered.json.body.problem, 'checkpoint');

    const foreign = createCheckpointSigner(Buffer.alloc(32, 1)).sign([head], Date.now());
    writeFileSync(file, `${[...lines, JSON.stringify(foreign)].join('\n')}\n`);
    assert.equal((await verify(dataDir)).json.body.problem, 'checkpoint');
  });
});
