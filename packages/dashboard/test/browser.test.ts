import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '@agent-otp/server';
import { AgentOTPClient } from '@orrisai/agent-otp-sdk';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';
import { ADMIN_PASSWORD, BANK_POLICY } from './helpers.ts';

const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install -y chromium); browser test skipped`;

/**
 * The human-in-the-loop path in a real browser: an agent waits through the SDK, the request
 * appears in the inbox live (no reload), the admin approves, and the waiting call gets its token.
 */
describe('dashboard in Chromium', { skip, timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    server = await startTestServer({
      policy: BANK_POLICY,
      env: { AGENT_OTP_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    // CSP violations and script failures surface as console errors.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
  });

  after(async () => {
    // The browser first: its open event stream would otherwise hold the server open.
    await browser?.close();
    await server?.close();
  });

  it('logs in, sees a request arrive live, approves it, and the waiting agent gets its token', async () => {
    const { apiKey } = await server.createAgent('payments-bot');
    const client = new AgentOTPClient({ apiKey, baseUrl: server.url });

    await page.goto(`${server.url}/`);
    assert.match(page.url(), /\/login$/);
    await page.fill('input[name=name]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')]);
    await page.waitForSelector('#live.on'); // the SSE stream is connected
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    const waiting = client.requestPermission({
      action: 'bank.transfer',
      resource: 'account:acme-savings',
      scope: { max_amount: 1000, currency: 'EUR' },
      context: { reason: 'Pay invoice 42 to ACME' },
      waitForApproval: true,
      timeout: 30_000,
    });
    const card = page.locator('article.request', { hasText: 'bank.transfer' });
    await card.waitFor({ timeout: 15_000 });
    assert.equal(
      await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
      true,
    );
    assert.match((await card.textContent()) ?? '', /Pay invoice 42 to ACME/);
    assert.match((await card.locator('[data-deadline]').textContent()) ?? '', /\d+m \d+s left/);

    await page.screenshot({ path: '/tmp/dashboard-inbox.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: '/tmp/dashboard-inbox-phone.png', fullPage: true });
    await page.setViewportSize({ width: 1200, height: 900 });

    await Promise.all([page.waitForURL(/\/\?decided=/), card.locator('button.btn-approve').click()]);
    const result = await waiting;
    assert.equal(result.status, 'approved');
    assert.match(result.status === 'approved' ? result.token : '', /^otp_/);
    assert.match((await page.locator('.alert').textContent()) ?? '', /bank\.transfer is now\s+approved/i);
    assert.equal(await page.locator('article.request').count(), 0);

    await page.goto(`${server.url}/requests/${result.id}`);
    await page.locator('.timeline', { hasText: 'Token delivered to the agent' }).waitFor();
    assert.match((await page.locator('.timeline').textContent()) ?? '', /Approved by admin/);
    await page.screenshot({ path: '/tmp/dashboard-detail.png', fullPage: true });

    assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
  });
});
