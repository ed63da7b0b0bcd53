import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuditCheckpoint,
  type AuditEntry,
  createCheckpointSigner,
  verifyAuditLog,
} from '@agent-otp/core';
import { createSqliteDriver } from '@agent-otp/store';
import { createCheckpointFile } from '../src/audit-checkpoints.ts';
import { createLogger, parseConfig, startServer } from '../src/index.ts';
import { callJson } from './http-client.ts';

// Finding 13: the server anchors the audit chain's head with signed checkpoints outside the
// database: often while it runs, and at every graceful shutdown.

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-anchor-'));
  dirs.push(dataDir);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const server = await startServer(
    parseConfig({
      PORT: '0',
      AGENT_OTP_DATA_DIR: dataDir,
      AGENT_OTP_POLICY_WATCH: 'false',
      AGENT_OTP_ADMIN_PASSWORD: 'a-long-enough-password',
      ...env,
    }),
    { logger: createLogger('debug', sink) },
  );
  const file = join(dataDir, 'audit-checkpoints.jsonl');
  const signer = createCheckpointSigner(
    Buffer.from(readFileSync(join(dataDir, 'server-secret'), 'utf8'), 'hex'),
  );
  const checkpoints = (): AuditCheckpoint[] => {
    try {
      // Only whole lines: the server may be appending one right now.
      const text = readFileSync(file, 'utf8');
      return text
        .slice(0, text.lastIndexOf('\n') + 1)
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const parsed = signer.parse(line);
          assert.ok(!('invalid' in parsed), `${line}: ${JSON.stringify(parsed)}`);
          return parsed;
        });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };
  const head = async () => {
    const all = await server.runtime.store.listAudit({ limit: 100_000 });
    return all.at(-1) as AuditEntry;
  };
  /** Some audit entries through the API: an agent, and a request auto-approved and used. */
  const traffic = async () => {
    const { apiKey } = await server.runtime.agents.create(`bot-${lines.length}`, {
      type: 'system',
      id: 'test',
    });
    const made = await callJson(server.url, 'POST', '/api/v1/permissions/request', apiKey, {
      action: 'file.read',
      resource: 'file:/tmp/a.txt',
      scope: { size_limit: 10 },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const used = await callJson(server.url, 'POST', `/api/v1/permissions/${made.body.data.id}/use`, apiKey, {
      token: made.body.data.token,
    });
    assert.equal(used.status, 200, JSON.stringify(used.body));
  };
  return { server, dataDir, file, checkpoints, head, traffic, logs: () => lines.join('') };
}

async function until(condition: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50))
    if (await condition()) return true;
  return condition();
}

describe('finding 13: the server signs checkpoints of the audit head', () => {
  test('graceful shutdown writes a checkpoint at the head (file 0600, mac valid)', async () => {
    // An interval far longer than the test: only the shutdown can write the final checkpoint.
    const t = await start({ AGENT_OTP_AUDIT_CHECKPOINT_INTERVAL_MS: '3600000' });
    // The first checkpoint is signed at start; after it, none is due for an hour.
    assert.ok(await until(() => t.checkpoints().length === 1));
    await t.traffic();
    await t.traffic();
    const head = await t.head();
    assert.ok((t.checkpoints().at(-1)?.seq ?? 0) < head.seq, 'not anchored at the head before shutdown');
    await t.server.close();
    const newest = t.checkpoints().at(-1);
    assert.deepEqual({ seq: newest?.seq, hash: newest?.hash }, { seq: head.seq, hash: head.hash });
    assert.equal(statSync(t.file).mode & 0o777, 0o600);
    assert.match(t.logs(), /audit checkpoint written at shutdown/);
  });

  test('checkpoints follow the head while the server runs', async () => {
    const t = await start({ AGENT_OTP_AUDIT_CHECKPOINT_INTERVAL_MS: '100' });
    try {
      await t.traffic();
      const head = await t.head();
      assert.ok(
        await until(() => (t.checkpoints().at(-1)?.seq ?? 0) >= head.seq),
        'a checkpoint reached the head within the interval',
      );
      const result = await verifyAuditLog(t.server.runtime.store, t.server.runtime.auditAnchor);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(result.anchor.status, 'anchored');
    } finally {
      await t.server.close();
    }
  });

  test('a chain cut in the database while the server runs is never signed, and the error is logged', async () => {
    const t = await start({ AGENT_OTP_AUDIT_CHECKPOINT_INTERVAL_MS: '100' });
    let anchored: AuditEntry | undefined;
    try {
      await t.traffic();
      anchored = await t.head();
      const seq = anchored.seq;
      assert.ok(await until(() => t.checkpoints().at(-1)?.seq === seq));
      const db = createSqliteDriver(join(t.dataDir, 'agent-otp.db'));
      const keep = (anchored as AuditEntry).seq - 3;
      const [kept] = await t.server.runtime.store.listAudit({ afterSeq: keep - 1, limit: 1 });
      await db.run('DELETE FROM audit_log WHERE seq > ?', [keep]);
      // The head row moved back too, as someone covering the cut would.
      await db.run('UPDATE audit_heads SET stripe_seq = ?, hash = ? WHERE stripe = 0', [
        kept?.stripeSeq,
        kept?.hash,
      ]);
      await db.close();
      // New entries take the cut places: the chain grows back past the checkpoint, differently.
      await t.traffic();
      assert.ok(await until(() => t.logs().includes('does not continue its last checkpoint')));
      await sleep(300);
      const newest = t.checkpoints().at(-1);
      assert.deepEqual({ seq: newest?.seq, hash: newest?.hash }, { seq: anchored.seq, hash: anchored.hash });
      const result = await verifyAuditLog(t.server.runtime.store, t.server.runtime.auditAnchor);
      assert.ok(!result.ok);
      assert.equal(result.problem, 'rewritten');
      assert.equal(t.logs().split('does not continue its last checkpoint').length, 2, 'logged once');
    } finally {
      await t.server.close();
    }
    assert.equal(t.checkpoints().at(-1)?.hash, anchored?.hash, 'nor at shutdown');
  });

  test('the checkpoint file stays bounded, keeping the newest lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-otp-anchor-'));
    dirs.push(dir);
    const file = join(dir, 'sub', 'checkpoints.jsonl');
    const log = createCheckpointFile(file, 3);
    for (let i = 1; i <= 7; i += 1) await log.append(JSON.stringify({ i }));
    // Past 2 × 3 lines the file was rewritten with the newest 3.
    assert.deepEqual(await log.read(), ['{"i":5}', '{"i":6}', '{"i":7}']);
    await log.append('{"i":8}');
    assert.deepEqual(await log.read(), ['{"i":5}', '{"i":6}', '{"i":7}', '{"i":8}']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});
