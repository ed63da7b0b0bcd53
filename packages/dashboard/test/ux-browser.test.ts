import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '@agent-otp/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';
import { ADMIN_PASSWORD } from './helpers.ts';
import { addSampleData, SAMPLE_POLICY } from './sample-data.ts';

const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install -y chromium); browser test skipped`;

type Sample = Awaited<ReturnType<typeof addSampleData>>;

/** The approver's and operator's flows in a real browser, on a server with sample data. */
describe('dashboard flows in Chromium', { skip, timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let sample: Sample;
  const problems: string[] = [];

  const login = async (target: Page) => {
    await target.goto(`${server.url}/login`);
    await target.fill('input[name=name]', 'admin');
    await target.fill('input[name=password]', ADMIN_PASSWORD);
    await Promise.all([target.waitForURL(`${server.url}/`), target.click('button[type=submit]')]);
  };
  const status = async (id: string) => (await server.runtime.store.getPermission(id))?.status;
  const payrollRequest = async () =>
    (
      await server.runtime.permissions.request(sample.agents.invoiceBot, {
        action: 'bank.transfer',
        resource: 'account:acme-payroll',
        scope: { max_amount: 90000, currency: 'EUR' },
        context: { reason: 'Bonus run' },
      })
    ).permission.id;

  before(async () => {
    server = await startTestServer({
      policy: SAMPLE_POLICY,
      env: { AGENT_OTP_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    sample = await addSampleData(server.runtime, { decided: 30 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await login(page);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('keeps the pending count in the tab title live', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForSelector('#live.on');
    assert.equal(await page.title(), '(3) Inbox · Agent OTP');
    const extra = await payrollRequest();
    await page.waitForFunction(() => document.title.startsWith('(4) '), null, { timeout: 15_000 });
    await server.runtime.approvals.deny(sample.admin, extra, 'not this month');
    await page.waitForFunction(() => document.title.startsWith('(3) '), null, { timeout: 15_000 });
    assert.equal(await page.title(), '(3) Inbox · Agent OTP');
  });

  it('shows risk and a plain summary, soonest deadline first', async () => {
    await page.goto(`${server.url}/`);
    const cards = page.locator('article.request');
    const payroll = page.locator(`#req-${sample.pending.payroll}`);
    assert.equal(await payroll.getAttribute('data-risk'), 'high');
    assert.match(
      (await payroll.locator('.summary-line').textContent()) ?? '',
      /invoice-bot wants to transfer up to 250,000 EUR to DE89 3704 0044 0532 0130 00 from account:acme-payroll/,
    );
    assert.equal(await page.locator(`#req-${sample.pending.coffee}`).getAttribute('data-risk'), 'low');
    // Email waits 15 min, payroll 30 min, coffee 60 min.
    const order = await cards.evaluateAll((els) => els.map((el) => el.getAttribute('data-permission')));
    assert.deepEqual(order, [sample.pending.newsletter, sample.pending.payroll, sample.pending.coffee]);
  });

  it('asks for an explicit confirmation before approving a high-risk request', async () => {
    const payroll = page.locator(`#req-${sample.pending.payroll}`);
    await Promise.all([page.waitForURL(/\/approve$/), payroll.locator('button.btn-approve').click()]);
    assert.match((await page.locator('h1').textContent()) ?? '', /Confirm a high-risk approval/);
    assert.equal(await status(sample.pending.payroll), 'pending', 'nothing approved before confirming');
    await Promise.all([
      page.waitForURL(/\/\?decided=/),
      page.getByRole('button', { name: 'Yes, approve this high-risk request' }).click(),
    ]);
    assert.equal(await status(sample.pending.payroll), 'approved');
  });

  it('takes the confirmation step without JavaScript too, and Cancel approves nothing', async () => {
    const id = await payrollRequest();
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 1280, height: 900 },
    });
    const noJs = await context.newPage();
    try {
      await login(noJs);
      await noJs.goto(`${server.url}/requests/${id}`);
      await Promise.all([noJs.waitForURL(/\/approve$/), noJs.click('button.btn-approve')]);
      await Promise.all([noJs.waitForURL(`${server.url}/requests/${id}`), noJs.click('text=Cancel')]);
      assert.equal(await status(id), 'pending');
      await Promise.all([noJs.waitForURL(/\/approve$/), noJs.click('button.btn-approve')]);
      await Promise.all([
        noJs.waitForURL(/\/requests\/.*\?approved=1$/),
        noJs.getByRole('button', { name: 'Yes, approve this high-risk request' }).click(),
      ]);
      assert.equal(await status(id), 'approved');
    } finally {
      await context.close();
    }
  });

  it('lists history newest first, pages with Older, and filters', async () => {
    await page.goto(`${server.url}/history`);
    const ids = () =>
      page.locator('.history-item').evaluateAll((els) => els.map((el) => el.getAttribute('data-permission')));
    const times = () =>
      page
        .locator('.history-item time')
        .evaluateAll((els) => els.map((el) => Date.parse(el.getAttribute('datetime') ?? '')));
    const first = await ids();
    assert.equal(first.length, 25);
    const firstTimes = await times();
    assert.deepEqual(
      firstTimes,
      [...firstTimes].sort((a, b) => b - a),
      'newest first',
    );
    await Promise.all([page.waitForURL(/cursor=/), page.click('a[rel=next]')]);
    const second = await ids();
    assert.ok(second.length > 0);
    assert.equal(second.filter((id) => first.includes(id)).length, 0, 'no request on two pages');
    assert.ok(Math.max(...(await times())) <= Math.min(...firstTimes), 'the next page is older');

    await page.goto(`${server.url}/history`);
    await page.selectOption('select[name=status]', 'approved');
    await Promise.all([page.waitForURL(/status=approved/), page.click('form.filters button[type=submit]')]);
    const statuses = await page.locator('.history-item .badge-approved').count();
    assert.equal(statuses, await page.locator('.history-item').count());
    assert.ok(statuses >= 3);

    await page.goto(`${server.url}/history`);
    await page.fill('input[name=q]', 'acme-ops-7');
    await page.selectOption('select[name=agent]', sample.agents.invoiceBot.id);
    await Promise.all([page.waitForURL(/q=acme-ops-7/), page.click('form.filters button[type=submit]')]);
    assert.deepEqual(await ids(), [sample.decidedIds[7]]);
    assert.equal(await page.locator('a[rel=next]').count(), 0);
  });

  it('fits a 390 px phone: no sideways scrolling, a wrapping nav, stacked tables, short audit rows', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const paths = ['/', `/requests/${sample.approved}`, '/history', '/audit', '/agents', '/users'];
      for (const path of paths) {
        await page.goto(`${server.url}${path}`);
        const layout = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          navRight: Math.max(
            ...Array.from(document.querySelectorAll('.nav a')).map((a) => a.getBoundingClientRect().right),
          ),
          tables: Array.from(document.querySelectorAll('table')).map((t) => t.getBoundingClientRect().right),
        }));
        assert.ok(layout.scrollWidth <= 390, `${path}: page is ${layout.scrollWidth}px wide`);
        assert.ok(layout.navRight <= 390, `${path}: a nav link ends at ${layout.navRight}px`);
        for (const right of layout.tables) assert.ok(right <= 390, `${path}: a table ends at ${right}px`);
      }
      await page.goto(`${server.url}/audit`);
      const rows = await page
        .locator('table.audit tbody tr')
        .evaluateAll((els) => els.map((el) => el.getBoundingClientRect().height));
      assert.ok(rows.length >= 40, `${rows.length} audit rows`);
      const tallest = Math.max(...rows);
      assert.ok(tallest <= 170, `the tallest audit row is ${tallest}px`);
      // The actions of a stacked row stay reachable.
      await page.goto(`${server.url}/agents`);
      const rotate = page.locator('td.actions summary', { hasText: 'Rotate key' }).first();
      const box = await rotate.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'the rotate button is on screen');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('has a skip link to the content, and copy buttons for ids', async () => {
    await page.goto(`${server.url}/requests/${sample.approved}`);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    assert.equal(focused, 'Skip to content');
    await page.keyboard.press('Enter');
    assert.match(page.url(), /#main$/);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.click(`button[data-copy-text="${sample.approved}"]`);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), sample.approved);
    assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
  });
});
