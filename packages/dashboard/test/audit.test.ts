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
    assert.doesNotMatch(approvals.text, /<td class="mono"[^>]*>permission\.requested/);
    assert.match(approvals.text, /<td class="mono"[^>]*>permission\.approved/);
    const bank = await dash.request('GET', '/audit?action=bank.', { as: admin });
    assert.equal((bank.text.match(/<td class="mono"[^>]*>permission\.requested/g) ?? []).length, 1);
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
      'seq,id,at,event,actor_type,actor_id,agent_id,permission_id,policy_version,details,prev_hash,hash,stripe,stripe_seq',
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

describe('the audit page reads newest first, pages both ways and jumps to a time', () => {
  let dash: DashboardRuntime;
  let base: number;
  const COUNT = 130; // two full pages of 50 and one of 30
  before(async () => {
    dash = await createDashboardRuntime();
    base = dash.clock.now() + 3_600_000;
    // One entry a minute; odd ones carry a bank action so the action filter pages too.
    await dash.runtime.store.appendAudit(
      Array.from({ length: COUNT }, (_, i) => ({
        id: `aud_page${String(i).padStart(12, '0')}`,
        at: base + i * 60_000,
        event: 'test.page',
        actor: { type: 'system' as const, id: 'test' },
        agentId: null,
        permissionId: null,
        policyVersion: null,
        details: {
          i,
          action: i % 2 ? 'bank.transfer' : 'email.send',
          reason: 'a reason written in several plain words',
          token_id: `tok_${'x'.repeat(60)}`,
          scope: { max_amount: 25000, to: ['acct:1', 'acct:2'] },
        },
      })),
    );
  });
  after(() => dash.close());

  const indexes = (text: string) =>
    [...text.matchAll(/<dt>i<\/dt><dd><span class="kv-value">(\d+)<\/span>/g)].map((m) => Number(m[1]));
  const link = (text: string, label: string) => {
    const m = text.match(new RegExp(`<a href="([^"]+)"[^>]*>${label}`));
    return m ? (m[1] as string).replaceAll('&amp;', '&') : null;
  };
  const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, k) => from - k); // from down to `to`

  it('shows the newest entries first and pages older and newer', async () => {
    const admin = await dash.loginAdmin();
    const head = await dash.request('GET', '/audit?event=test.page', { as: admin });
    assert.equal(head.status, 200);
    assert.deepEqual(indexes(head.text), range(129, 80));
    assert.equal(link(head.text, '‹ Newer'), null, 'nothing is newer than the head');
    const olderUrl = link(head.text, 'Older ›');
    assert.ok(olderUrl?.includes('event=test.page'), 'paging keeps the filters');

    const second = await dash.request('GET', olderUrl as string, { as: admin });
    assert.deepEqual(indexes(second.text), range(79, 30));
    const third = await dash.request('GET', link(second.text, 'Older ›') as string, { as: admin });
    assert.deepEqual(indexes(third.text), range(29, 0));
    assert.equal(link(third.text, 'Older ›'), null, 'the oldest page has no Older');

    const backUp = await dash.request('GET', link(third.text, '‹ Newer') as string, { as: admin });
    assert.deepEqual(indexes(backUp.text), range(79, 30));
    const top = await dash.request('GET', link(backUp.text, '‹ Newer') as string, { as: admin });
    assert.deepEqual(indexes(top.text), range(129, 80), 'paging up ends on a full head page');
    assert.equal(link(top.text, '‹ Newer'), null);
  });

  it('pages through a filter the store cannot answer (the action prefix)', async () => {
    const admin = await dash.loginAdmin();
    const head = await dash.request('GET', '/audit?event=test.page&action=bank.', { as: admin });
    const odd = range(129, 0).filter((i) => i % 2);
    assert.deepEqual(indexes(head.text), odd.slice(0, 50));
    const older = await dash.request('GET', link(head.text, 'Older ›') as string, { as: admin });
    assert.deepEqual(indexes(older.text), odd.slice(50));
    assert.equal(link(older.text, 'Older ›'), null);
  });

  it('jumps to a time: the entries at or before it, with Newer to climb back', async () => {
    const admin = await dash.loginAdmin();
    const at = new Date(base + 70 * 60_000 + 30_000).toISOString().slice(0, 16); // minute of entry 70
    const jump = await dash.request('GET', `/audit?event=test.page&at=${at}`, { as: admin });
    assert.equal(jump.status, 200);
    assert.deepEqual(indexes(jump.text), range(70, 21), 'the whole named minute is included');
    assert.match(jump.text, new RegExp(`name="at" type="datetime-local" step="1" value="${at}"`));
    const newer = await dash.request('GET', link(jump.text, '‹ Newer') as string, { as: admin });
    assert.deepEqual(indexes(newer.text), range(120, 71));
    assert.ok(link(jump.text, 'Older ›'));

    const seconds = new Date(base + 70 * 60_000 - 1000).toISOString().slice(0, 19);
    const before = await dash.request('GET', `/audit?event=test.page&at=${seconds}`, { as: admin });
    assert.equal(indexes(before.text)[0], 69, 'a time with seconds is exact to the second');

    const beforeAll = new Date(base - 60_000).toISOString().slice(0, 16);
    const none = await dash.request('GET', `/audit?event=test.page&at=${beforeAll}`, { as: admin });
    assert.match(none.text, /No entries match/);
    const bad = await dash.request('GET', '/audit?at=last+tuesday', { as: admin });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /at is not a date and time/);
  });

  it('shows details as key: value lines, with nested values as pretty JSON', async () => {
    const admin = await dash.loginAdmin();
    const head = await dash.request('GET', '/audit?event=test.page', { as: admin });
    assert.match(head.text, /<dl class="kv"><div><dt>i<\/dt>/);
    assert.match(
      head.text,
      /<dt>reason<\/dt><dd><span class="kv-value">a reason written in several plain words</,
    );
    assert.match(head.text, /<dt>token_id<\/dt><dd><span class="kv-value">tok_x{60}</);
    assert.match(
      head.text,
      /<dt>scope<\/dt><dd><pre class="kv-json">\{\n {2}&quot;max_amount&quot;: 25000,\n {2}&quot;to&quot;: \[/,
    );
    assert.doesNotMatch(head.text, /\{&quot;i&quot;:/, 'no raw one-line JSON');
    assert.doesNotMatch(head.text, /style=/);
    const cssUrl = head.text.match(/<link rel="stylesheet" href="([^"]+)"/)?.[1] as string;
    const css = await dash.request('GET', cssUrl, { as: admin });
    assert.match(css.text, /\.kv-value \{\n {2}overflow-wrap: anywhere;/);
    assert.match(css.text, /pre\.kv-json \{[^}]*overflow-x: auto;[^}]*white-space: pre;/);
  });
});
