import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { User } from '@agent-otp/core';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

const idsOn = (html: string) => [...html.matchAll(/data-permission="([^"]+)"/g)].map((m) => m[1]);
const nextLink = (html: string) =>
  /href="(\/history\?[^"]*cursor=[^"]+)" rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

describe('history of decided requests', () => {
  let dash: DashboardRuntime;
  const denied: string[] = [];
  const approved: string[] = [];
  let pendingId = '';
  let mailerId = '';
  before(async () => {
    dash = await createDashboardRuntime();
    const bank = (await dash.agent('payments-bot')).agent;
    const mailer = await dash.agent('mailer');
    mailerId = mailer.id;
    const admin = (await dash.runtime.users.list()).find((u) => u.name === 'admin') as User;
    // 26 denied bank transfers, one a minute, then 2 auto-approved reads and one left pending.
    for (let i = 0; i < 26; i++) {
      const { permission } = await dash.ask(bank);
      await dash.runtime.approvals.deny(
        admin,
        permission.id,
        i === 7 ? 'Duplicate of invoice 41' : undefined,
      );
      denied.push(permission.id);
      dash.clock.advance(60_000);
    }
    for (let i = 0; i < 2; i++) {
      const outcome = await dash.runtime.permissions.request(mailer.agent, {
        action: 'file.read',
        resource: `file:/srv/report-${i}.txt`,
        scope: {},
        context: {},
      });
      approved.push(outcome.permission.id);
      dash.clock.advance(60_000);
    }
    pendingId = (await dash.ask(bank)).permission.id;
  });
  after(() => dash.close());

  it('lists decided requests newest first, 25 a page, following the cursor', async () => {
    const admin = await dash.loginAdmin();
    const first = await dash.request('GET', '/history', { as: admin });
    assert.equal(first.status, 200);
    const newestFirst = [...denied, ...approved].reverse();
    assert.deepEqual(idsOn(first.text), newestFirst.slice(0, 25));
    assert.ok(!first.text.includes(pendingId), 'pending requests are not history');
    const next = nextLink(first.text);
    assert.ok(next, 'an Older link');
    const second = await dash.request('GET', next, { as: admin });
    assert.deepEqual(idsOn(second.text), newestFirst.slice(25));
    assert.equal(nextLink(second.text), undefined, 'the last page has no Older link');
    assert.match(first.text, /href="\/history" class="active"/, 'linked from the nav');
  });

  it('filters by status, agent, action, text and time, and keeps filters across pages', async () => {
    const admin = await dash.loginAdmin();
    const get = async (qs: string) =>
      idsOn((await dash.request('GET', `/history?${qs}`, { as: admin })).text);
    assert.deepEqual(await get('status=approved'), [...approved].reverse());
    assert.deepEqual(await get(`agent=${mailerId}`), [...approved].reverse());
    assert.deepEqual(await get('action=file.read'), [...approved].reverse());
    assert.deepEqual(await get('q=report-1'), [approved[1]]);
    assert.deepEqual(await get('q=DUPLICATE'), [denied[7]], 'search reads the reason too');
    // The 3rd to the 5th minute: denied[2], denied[3], denied[4].
    assert.deepEqual(await get('since=2026-06-01T12:02&until=2026-06-01T12:05'), [
      denied[4],
      denied[3],
      denied[2],
    ]);
    const page = await dash.request('GET', '/history?status=denied', { as: admin });
    const next = nextLink(page.text) ?? '';
    assert.match(next, /status=denied/);
    assert.deepEqual(idsOn((await dash.request('GET', next, { as: admin })).text), [denied[0]]);
  });

  it('refuses an unknown status, a bad date and a forged cursor with a 400 page', async () => {
    const admin = await dash.loginAdmin();
    for (const qs of ['status=pending', 'since=yesterday', 'cursor=not-a-cursor']) {
      const response = await dash.request('GET', `/history?${qs}`, { as: admin });
      assert.equal(response.status, 400, qs);
      assert.match(response.text, /status must be one of|not a date|cursor/);
    }
  });

  it('is for logged-in users only', async () => {
    const response = await dash.request('GET', '/history');
    assert.equal(response.status, 302);
    assert.match(response.headers.get('location') ?? '', /\/login/);
  });
});
