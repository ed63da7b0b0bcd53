import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '@agent-otp/server';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';

const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install -y chromium); browser test skipped`;

/** The documentation as a reader meets it: search, copy a command, read on a phone. */
describe('the documentation in Chromium', { skip, timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];

  before(async () => {
    server = await startTestServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    context.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    context.on('weberror', (error) => problems.push(error.error().message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('finds a section as the reader types and goes there', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/docs`);
    await page.fill('#docs-q', 'values a rule cannot compare');
    const first = page.locator('#docs-results li a').first();
    await first.waitFor();
    assert.equal(await first.textContent(), 'Values a rule cannot compare');
    await Promise.all([page.waitForURL('**/docs/policies#values-a-rule-cannot-compare'), first.click()]);
    assert.ok(await page.locator('#values-a-rule-cannot-compare').isVisible());
    // The API reference is in the same index.
    await page.fill('#docs-q', 'TOKEN_USED');
    await page.locator('#docs-results li a[href^="/docs/api#"]').first().waitFor();
    // Enter submits to the server-side search, which works without script too.
    await Promise.all([page.waitForURL('**/docs/search?q=TOKEN_USED'), page.press('#docs-q', 'Enter')]);
    assert.ok((await page.locator('.docs-hits li').count()) > 0);
    await page.close();
  });

  it('copies a code block with its button', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/docs/policies`);
    const block = page.locator('.doc-code').first();
    const code = (await block.locator('pre code').textContent()) ?? '';
    await block.locator('.doc-copy').click();
    assert.equal(await block.locator('.doc-copy').textContent(), 'Copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code);
    assert.match(code, /Auto-approve file reads/);
    await page.close();
  });

  it('reads at 390 px without sideways scrolling, on every page', async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/docs`);
    const urls = await page
      .locator('.docs-pages a')
      .evaluateAll((links) => links.map((link) => (link as HTMLAnchorElement).pathname));
    assert.ok(urls.length >= 13);
    for (const url of [...urls, '/docs/search?q=scope']) {
      await page.goto(`${server.url}${url}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${url} scrolls sideways by ${overflow}px at 390px`);
    }
    if (process.env.DOCS_SCREENSHOTS) {
      await page.goto(`${server.url}/docs`);
      await page.screenshot({ path: `${process.env.DOCS_SCREENSHOTS}/docs-home-phone.png` });
      await page.goto(`${server.url}/docs/api`);
      await page.screenshot({ path: `${process.env.DOCS_SCREENSHOTS}/docs-api-phone.png` });
      await page.goto(`${server.url}/docs/policies`);
      await page.screenshot({ path: `${process.env.DOCS_SCREENSHOTS}/docs-phone.png` });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: `${process.env.DOCS_SCREENSHOTS}/docs-desktop.png` });
      await page.goto(`${server.url}/docs/api#post-apiv1permissionsiduse`);
      await page.screenshot({ path: `${process.env.DOCS_SCREENSHOTS}/docs-api-desktop.png` });
    }
    await page.close();
  });

  it('runs without a CSP violation or script error', () => {
    assert.deepEqual(problems, []);
  });
});
