import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '@agent-otp/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';
import { ADMIN_PASSWORD, BANK_POLICY } from './helpers.ts';

const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install -y chromium); browser test skipped`;

/** Two edits of the policy in a real browser, then both diffs in History, on a desktop and a phone. */
describe('policy history in Chromium', { skip, timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  /** Replaces one line of the editor's text and saves, as a person would. */
  const edit = async (from: string, to: string) => {
    await page.goto(`${server.url}/policies`);
    const editor = page.locator('textarea[name=source]');
    const text = await editor.inputValue();
    assert.ok(text.includes(from), `the editor shows "${from}"`);
    await editor.fill(text.replace(from, to));
    await Promise.all([page.waitForURL(/\/policies\?saved=pol_/), page.click('text=Save and put in force')]);
  };

  before(async () => {
    server = await startTestServer({
      policy: BANK_POLICY,
      env: { AGENT_OTP_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${server.url}/login`);
    await page.fill('input[name=name]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')]);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('two edits on the dashboard are two versions in History, each with its diff', async () => {
    const start = server.runtime.policy.current().version;
    await edit('approvalTimeout: 600', 'approvalTimeout: 300');
    const first = server.runtime.policy.current().version;
    await edit('scopeTemplate: { max_amount: 500 }', 'scopeTemplate: { max_amount: 250 }');
    const second = server.runtime.policy.current().version;
    assert.equal(new Set([start, first, second]).size, 3);
    assert.match(
      (await page.locator('.alert-ok').first().textContent()) ?? '',
      new RegExp(`Saved: ${second}`),
    );

    const items = page.locator('#history li.policy-version');
    assert.deepEqual(await items.evaluateAll((els) => els.map((el) => el.getAttribute('data-version'))), [
      second,
      first,
      start,
    ]);
    const newest = items.nth(0);
    assert.equal(await newest.locator('.badge-active').textContent(), 'in force');
    assert.equal(await items.nth(1).locator('.badge-active').count(), 0);
    assert.match((await newest.textContent()) ?? '', /a dashboard edit by admin/);

    // Each diff opens on a click and shows its removed and added line, marked with − and +.
    for (const [item, removed, added] of [
      [newest, 'max_amount: 500', 'max_amount: 250'],
      [items.nth(1), 'approvalTimeout: 600', 'approvalTimeout: 300'],
    ] as const) {
      await item.locator('summary').click();
      const del = item.locator('del.diff-remove');
      const ins = item.locator('ins.diff-add');
      await del.first().waitFor({ state: 'visible' });
      assert.deepEqual(await del.allTextContents(), [
        `-   ${removed.startsWith('max') ? `scopeTemplate: { ${removed} }` : removed}`,
      ]);
      assert.deepEqual(await ins.allTextContents(), [
        `+   ${added.startsWith('max') ? `scopeTemplate: { ${added} }` : added}`,
      ]);
      // Not colour alone: the lines differ in colour and carry their marker.
      const colours = await Promise.all(
        [del, ins].map((l) => l.first().evaluate((el) => getComputedStyle(el).backgroundColor)),
      );
      assert.notEqual(colours[0], colours[1]);
    }
    assert.deepEqual(problems, []);
  });

  it("a version's page shows its full source, and History fits a 390 px phone", async () => {
    const version = server.runtime.policy.current().version;
    await Promise.all([
      page.waitForURL(`**/policies/versions/${version}`),
      page.locator(`#history a[href="/policies/versions/${version}"]`).click(),
    ]);
    assert.match((await page.locator('pre.policy-file').textContent()) ?? '', /max_amount: 250/);
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/policies#history', `/policies/versions/${version}`]) {
      await page.goto(`${server.url}${path}`);
      await page
        .locator('#history summary, pre.diff')
        .first()
        .click()
        .catch(() => undefined);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path}: the page is ${overflow}px wider than the phone`);
    }
    assert.deepEqual(problems, []);
  });
});
