import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type AuditEntry, newId } from '@agent-otp/core';
import { createSqliteDriver } from '@agent-otp/store';
import { run, runtimeFor, tempDir } from './helpers.ts';

const temp = tempDir();
const dataDir = join(temp.dir, 'data');
after(() => temp.remove());

/** More than one page (the commands read 1000 at a time), so paging is exercised. */
const ENTRIES = 1205;
let head: AuditEntry;

before(async () => {
  const runtime = await runtimeFor(dataDir);
  try {
    await runtime.agents.create('audited-bot', { type: 'user', id: 'cli:test' });
    const events = Array.from({ length: ENTRIES - 1 }, (_, i) => ({
      id: newId('audit'),
      at: Date.UTC(2026, 0, 1) + i,
      event: 'test.event',
      actor: { type: 'system' as const, id: 'test' },
      agentId: null,
      permissionId: null,
      policyVersion: null,
      // A comma, a quote and a newline, which CSV must quote.
      details: { i, note: 'a, "quoted"\nline' },
    }));
    await runtime.store.appendAudit(events);
    const last = await runtime.store.listAudit({ afterSeq: ENTRIES - 1, limit: 1 });
    head = last[0] as AuditEntry;
    assert.equal(head.seq, ENTRIES);
  } finally {
    await runtime.close();
  }
});

test('audit verify: intact chain, entry count and head hash; says plainly when not anchored', async () => {
  const [human, json] = await Promise.all([
    run(['audit', 'verify'], dataDir),
    run(['audit', 'verify', '--json'], dataDir),
  ]);
  assert.equal(human.code, 0, human.stderr);
  const checkpoints = join(dataDir, 'audit-checkpoints.jsonl');
  assert.equal(
    human.stdout,
    `audit chain intact: ${ENTRIES} entries, head ${head.hash}\n` +
      `not anchored: no checkpoint in ${checkpoints}, so removing the newest entries would go unnoticed (the server writes checkpoints while it runs)\n`,
  );
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), {
    ok: true,
    entries: ENTRIES,
    headHash: head.hash,
    stripes: 1,
    appendedDuringCheck: 0,
    anchor: { status: 'not_anchored', location: checkpoints },
  });
});

test('audit tail -n shows the last entries', async () => {
  const result = await run(['audit', 'tail', '-n', '2', '--json'], dataDir);
  assert.equal(result.code, 0, result.stderr);
  const tail = JSON.parse(result.stdout) as AuditEntry[];
  assert.deepEqual(
    tail.map((e) => e.seq),
    [ENTRIES - 1, ENTRIES],
  );
  assert.equal(tail[1]?.hash, head.hash);
});

test('audit export: every entry as JSONL (stdout) and CSV (file)', async () => {
  const csvFile = join(temp.dir, 'audit.csv');
  const [jsonl, csv] = await Promise.all([
    run(['audit', 'export'], dataDir),
    run(['audit', 'export', '--format', 'csv', '--out', csvFile], dataDir),
  ]);
  assert.equal(jsonl.code, 0, jsonl.stderr);
  const entries = jsonl.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEntry);
  assert.equal(entries.length, ENTRIES);
  assert.deepEqual(
    entries.map((e) => e.seq),
    Array.from({ length: ENTRIES }, (_, i) => i + 1),
  );
  assert.equal(entries[0]?.event, 'agent.created');
  assert.equal(entries.at(-1)?.hash, head.hash);

  assert.equal(csv.code, 0, csv.stderr);
  assert.equal(csv.stdout, '');
  assert.match(csv.stderr, new RegExp(`exported ${ENTRIES} audit entries`));
  assert.equal(statSync(csvFile).mode & 0o777, 0o600);
  const text = readFileSync(csvFile, 'utf8');
  const [header, first, second] = text.split('\r\n');
  assert.equal(
    header,
    'seq,id,at,event,actor_type,actor_id,agent_id,permission_id,policy_version,details,prev_hash,hash,stripe,stripe_seq',
  );
  assert.match(
    first ?? '',
    /^1,aud_[^,]+,20\d\d-[^,]+Z,agent\.created,user,cli:test,agt_[^,]+,,,"\{""name"":""audited-bot"",""keyPrefix"":""ak_[^"]+"",""mintedBy"":\{""type"":""user"",""id"":""cli:test""\}\}",0{64},[0-9a-f]{64},0,1$/,
  );
  assert.ok(second?.includes(`"{""i"":0,""note"":""a, \\""quoted\\""\\nline""}"`), second);
  assert.equal(text.split('\r\n').length, ENTRIES + 2, 'header, rows, trailing empty line');
});

test('audit verify: an edited entry breaks the chain, named by its number', async () => {
  const tampered = 1100;
  const driver = createSqliteDriver(join(dataDir, 'agent-otp.db'));
  try {
    const { changes } = await driver.run('UPDATE audit_log SET details = ? WHERE seq = ?', [
      JSON.stringify({ i: tampered - 2, note: 'nothing to see' }),
      tampered,
    ]);
    assert.equal(changes, 1);
  } finally {
    await driver.close();
  }
  const [human, json] = await Promise.all([
    run(['audit', 'verify'], dataDir),
    run(['audit', 'verify', '--json'], dataDir),
  ]);
  assert.equal(human.code, 1);
  assert.equal(human.stdout, '');
  assert.equal(
    human.stderr,
    `agent-otp: audit chain BROKEN at entry ${tampered}: entry ${tampered} was modified (its hash does not match)\n`,
  );
  assert.equal(json.code, 1);
  assert.deepEqual(JSON.parse(json.stdout), {
    ok: false,
    problem: 'chain',
    entries: tampered - 1,
    brokenAtSeq: tampered,
    reason: `entry ${tampered} was modified (its hash does not match)`,
    anchor: { status: 'not_anchored', location: join(dataDir, 'audit-checkpoints.jsonl') },
  });
});
