import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuditCheckpointer } from '@agent-otp/core';
import { createSqliteDriver } from '@agent-otp/store';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

describe('dashboard audit and overview', () => {
  let dash: DashboardRuntime;
  let permissionId: string;
  before(async () => {
    dash = await createDashboardRuntime();
    const { agent } = await dash.agent('payments-bot');
    const outcome = await dash.ask(agent);
    permissionId = outcome.permission.id;
    await dash.ask(agent, 'file.read'); // auto-approved
    await dash.ask(agent, 'shell.exec'); // denied
    dash.clock.advance(90_000);
    const admin = await dash.runtime.users.find('admin');
    await dash.runtime.approvals.approve(admin, permissionId, { reason: 'fine' });
  });
  after(() => dash.close());

  it('lists entries with filters and shows the chain status', async () => {
    const admin = await dash.loginAdmin();
    const all = await dash.request('GET', '/audit', { as: admin });
    assert.equal(all.status, 200);
    assert.match(all.text, /permission\.requested/);
    assert.match(all.text, /hx-get="\/audit\/verify"/);
    const approvals = await dash.request('GET', '/audit?event=permission.approved', { as: admin });
    assert.doesNotMatch(approvals.text, /<td class="mono">permission\.requested/);
    assert.match(approvals.text, /<td class="mono">permission\.approved/);
    const bank = await dash.request('GET', '/audit?action=bank.', { as: admin });
    assert.equal((bank.text.match(/<td class="mono">permission\.requested/g) ?? []).length, 1);
    const future = await dash.request('GET', '/audit?since=2030-01-01T00:00', { as: admin });
    assert.match(future.text, /No entries match/);
    const bad = await dash.request('GET', '/audit?since=yesterday', { as: admin });
    assert.equal(bad.status, 400);
    const chain = await dash.request('GET', '/audit/verify', {
      as: admin,
      headers: { 'hx-request': 'true' },
    });
    assert.match(chain.text, /chain intact · \d+ entries · head/);
  });

  it('exports JSONL and CSV with the same filters, and never a secret', async () => {
    const admin = await dash.loginAdmin();
    const jsonl = await dash.request('GET', '/audit/export.jsonl', { as: admin });
    assert.equal(jsonl.status, 200);
    assert.match(jsonl.headers.get('content-type') ?? '', /application\/x-ndjson/);
    assert.match(
      jsonl.headers.get('content-disposition') ?? '',
      /attachment; filename="agent-otp-audit-.*\.jsonl"/,
    );
    const lines = jsonl.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const stored = await dash.runtime.store.listAudit({ limit: 10_000 });
    assert.equal(lines.length, stored.length);
    assert.deepEqual(
      lines.map((l) => l.seq),
      stored.map((e) => e.seq),
    );
    assert.ok(
      lines.every(
        (l) => typeof l.hash === 'string' && typeof l.at === 'number' && typeof l.time === 'string',
      ),
    );
    assert.doesNotMatch(jsonl.text, /otp_[A-Za-z0-9_-]{16,}|ak_[A-Za-z0-9_-]{16,}|ses_[A-Za-z0-9_-]{16,}/);

    const csv = await dash.request('GET', `/audit/export.csv?event=permission.approved`, { as: admin });
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const rows = csv.text.trim().split('\r\n');
    assert.equal(
      rows[0],
      'seq,id,at,event,actor_type,actor_id,agent_id,permission_id,policy_version,details,prev_hash,hash',
    );
    assert.equal(rows.length, 3, 'header + the auto-approval + the human approval');
    assert.ok(rows.slice(1).every((row) => row.includes(',permission.approved,')));
    assert.match(rows.join('\n'), /"\{""by"":/, 'JSON details quoted CSV-style');
  });

  it('streams exports larger than one store page', async () => {
    const entries = Array.from({ length: 1500 }, (_, i) => ({
      id: `aud_bulk${String(i).padStart(12, '0')}`,
      at: dash.clock.now(),
      event: 'test.bulk',
      actor: { type: 'system' as const, id: 'test' },
      agentId: null,
      permissionId: null,
      policyVersion: null,
      details: { i, formula: '=HYPERLINK("x")' },
    }));
    await dash.runtime.store.appendAudit(entries);
    const admin = await dash.loginAdmin();
    const csv = await dash.request('GET', '/audit/export.csv?event=test.bulk', { as: admin });
    const rows = csv.text.trim().split('\r\n');
    assert.equal(rows.length, 1501);
    const jsonl = await dash.request('GET', '/audit/export.jsonl?event=test.bulk', { as: admin });
    assert.equal(jsonl.text.trim().split('\n').length, 1500);
  });

  it('draws the overview: requests by outcome and human decision latency', async () => {
    const admin = await dash.loginAdmin();
    const page = await dash.request('GET', '/overview', { as: admin });
    assert.equal(page.status, 200);
    assert.match(page.text, /<svg class="chart"/);
    assert.match(page.text, /class="fill-approved"/);
    assert.match(page.text, /class="fill-denied"/);
    assert.match(page.text, /Decision p50<\/span><strong>1m 30s/);
    assert.match(page.text, /1 decisions by people/);
    assert.doesNotMatch(page.text, /style=/);
    const week = await dash.request('GET', '/overview?range=7d', { as: admin });
    assert.equal((week.text.match(/<g>/g) ?? []).length, 7 + 7, '7 day bars and 7 histogram bars');
  });
});

describe('finding 13: the dashboard chain status checks the signed checkpoints', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
    const { agent } = await dash.agent('anchored-bot');
    for (let i = 0; i < 3; i += 1) await dash.ask(agent, 'file.read');
  });
  after(() => dash.close());

  let admin: Awaited<ReturnType<DashboardRuntime['loginAdmin']>>;
  const status = async () => {
    admin ??= await dash.loginAdmin();
    const response = await dash.request('GET', '/audit/verify', {
      as: admin,
      headers: { 'hx-request': 'true' },
    });
    return response.text;
  };

  it('says "not anchored", then the anchored entry, then the truncation', async () => {
    assert.match(await status(), /chain intact · \d+ entries · head .* · not anchored/s);
    const { runtime } = dash;
    const checkpointer = createAuditCheckpointer({
      store: runtime.store,
      anchor: runtime.auditAnchor,
      clock: dash.clock,
      everyEntries: 1000,
      intervalMs: 5000,
    });
    const outcome = await checkpointer.run({ force: true });
    assert.equal(outcome.status, 'written');
    const seq = outcome.status === 'written' ? outcome.checkpoint.seq : 0;
    assert.match(
      await status(),
      new RegExp(`chain intact · ${seq} entries · head .* · anchored at entry ${seq}`, 's'),
    );

    const db = createSqliteDriver(runtime.config.databaseFile);
    await db.run('DELETE FROM audit_log WHERE seq > ?', [seq - 2]);
    await db.close();
    assert.match(
      await status(),
      new RegExp(`chain broken at entry ${seq - 1}: truncated: .* the newest 2 entries were removed`),
    );
  });
});
