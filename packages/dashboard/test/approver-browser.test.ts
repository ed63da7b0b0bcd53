import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '@agent-otp/server';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';
import { ADMIN_PASSWORD } from './helpers.ts';

const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install -y chromium); browser test skipped`;

const POLICY = `
- name: "Payroll is high risk"
  conditions: { action: { equals: "bank.transfer" }, resource: { startsWith: "account:payroll" } }
  action: require_approval
  priority: 200
  approvalTimeout: 1800
  risk: high
- name: "Supplier payments"
  conditions: { action: { equals: "bank.transfer" } }
  action: require_approval
  approvalTimeout: 1800
  scopeTemplate: { max_uses: 5 }
- name: "Card purchases"
  conditions: { action: { equals: "card.purchase" } }
  action: require_approval
  approvalTimeout: 3600
  risk: low
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

/**
 * Replaces only the operating system's notification sink: permission comes from the real API
 * (granted through the browser context), and every construction is recorded with its onclick.
 */
const RECORDING_NOTIFICATION = `(() => {
  const Real = window.Notification;
  const seen = [];
  class RecordingNotification {
    static get permission() { return Real.permission; }
    static requestPermission() { return Real.requestPermission(); }
    constructor(title, options) {
      this.title = title;
      this.body = options && options.body;
      this.tag = options && options.tag;
      this.onclick = null;
      seen.push(this);
    }
    close() {}
  }
  window.Notification = RecordingNotification;
  window.recordedNotifications = seen;
})();`;

/**
 * The approver's three newer flows in a real Chromium, against a real server: the approve form
 * (requested → granted, checked by the token the agent then verifies), bulk decisions, and
 * browser notifications of requests arriving over the live inbox stream.
 */
describe('approver flows in Chromium', { skip, timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let apiKey: string;
  const problems: string[] = [];

  /** A request through the public API, as an agent makes it. */
  async function agentRequest(body: Record<string, unknown>) {
    const res = await fetch(`${server.url}/api/v1/permissions/request`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { data: { id: string; status: string } };
    assert.equal(json.data.status, 'pending', JSON.stringify(json));
    return json.data.id;
  }
  async function agentGet(path: string, init?: RequestInit) {
    const res = await fetch(`${server.url}/api/v1/permissions/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    });
    return ((await res.json()) as { data: Record<string, unknown> }).data;
  }
  const coffee = (amount: number) =>
    agentRequest({
      action: 'card.purchase',
      resource: 'card:office',
      scope: { max_amount: amount, currency: 'USD' },
      context: { reason: 'coffee' },
    });
  const status = async (id: string) => (await server.runtime.store.getPermission(id))?.status;

  async function newPage(options: { javaScriptEnabled?: boolean; width?: number } = {}) {
    const context = await browser.newContext({
      javaScriptEnabled: options.javaScriptEnabled ?? true,
      viewport: { width: options.width ?? 1280, height: 900 },
    });
    const page = await context.newPage();
    // Without JavaScript the test posts refused forms on purpose: their 400 is no problem there.
    page.on('console', (message) => {
      if (message.type() === 'error' && options.javaScriptEnabled !== false) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await login(page);
    return { context, page };
  }
  async function login(page: Page) {
    await page.goto(`${server.url}/login`);
    await page.fill('input[name=name]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')]);
  }

  before(async () => {
    server = await startTestServer({ policy: POLICY, env: { AGENT_OTP_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    apiKey = (await server.createAgent('office-bot')).apiKey;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('narrows per constraint, requested → granted, and the token carries the granted scope', async () => {
    const id = await agentRequest({
      action: 'bank.transfer',
      resource: 'account:suppliers',
      scope: { max_amount: 25000, currency: 'EUR', allowed_recipients: ['DE01', 'DE02'], max_uses: 2 },
      context: { reason: 'Supplier run' },
      ttl: 600,
    });
    const { context, page } = await newPage();
    try {
      await page.goto(`${server.url}/requests/${id}`);
      const amount = page.locator('.grant-row[data-key=max_amount]');
      assert.match((await amount.locator('.grant-asked').textContent()) ?? '', /requested 25,000/);
      const input = amount.locator('input');
      assert.equal(await input.inputValue(), '25,000', 'prefilled with the requested value');
      await input.fill('30,000');
      await amount.locator('.grant-error').getByText('cannot exceed the requested 25,000').waitFor();
      assert.equal(await input.evaluate((el) => (el as HTMLInputElement).validity.valid), false);
      // The browser holds the form back while a value is wider than the request.
      await page.click('.approve-form button.btn-approve');
      assert.equal(await status(id), 'pending');
      await input.fill('10,000');
      assert.equal(await amount.locator('.grant-error').textContent(), '');
      await page.locator('.grant-row[data-key=allowed_recipients] label', { hasText: 'DE02' }).click();
      await page.fill('.grant-row[data-key=max_uses] input', '1');
      await page.fill('.grant-row[data-control=ttl] input', '120');

      // At phone width the form fits without sideways scrolling.
      await page.setViewportSize({ width: 390, height: 844 });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the detail page with the form is ${width}px wide`);
      const box = await input.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'the amount input is on screen');
      await page.setViewportSize({ width: 1280, height: 900 });

      await Promise.all([page.waitForURL(/\?approved=1$/), page.click('.approve-form button.btn-approve')]);
      assert.equal(await page.locator('.alert-warn').count(), 0, 'nothing was clamped');

      // The agent collects its token and verifies it: the token carries the granted scope.
      const collected = await agentGet(id);
      assert.equal(collected.status, 'approved');
      const verified = await agentGet(`${id}/verify`, {
        method: 'POST',
        body: JSON.stringify({ token: collected.token }),
      });
      assert.equal(verified.valid, true);
      assert.deepEqual(verified.scope, {
        max_amount: 10000,
        currency: 'EUR',
        allowed_recipients: ['DE01'],
        max_uses: 1,
      });
      assert.equal(verified.usesRemaining, 1);
      const lifetime = Date.parse(String(verified.expiresAt)) - Date.now();
      assert.ok(lifetime > 60_000 && lifetime <= 120_000, `token lifetime ${lifetime} ms`);
    } finally {
      await context.close();
    }
  });

  it('without JavaScript: a wider value is clamped with a notice, a bad number is an error that keeps the input', async () => {
    const id = await agentRequest({
      action: 'bank.transfer',
      resource: 'account:suppliers',
      scope: { max_amount: 25000, currency: 'EUR' },
      context: { reason: 'Supplier run' },
    });
    const { context, page } = await newPage({ javaScriptEnabled: false, width: 390 });
    try {
      await page.goto(`${server.url}/requests/${id}`);
      await page.fill('.grant-row[data-key=max_amount] input', 'a lot');
      await page.fill('.grant-row[data-key=max_uses] input', '1');
      await Promise.all([page.waitForURL(/\/approve$/), page.click('.approve-form button.btn-approve')]);
      assert.match(
        (await page.locator('.alert-error').textContent()) ?? '',
        /max_amount: "a lot" is not a number/,
      );
      assert.equal(await page.inputValue('.grant-row[data-key=max_amount] input'), 'a lot');
      assert.equal(await page.inputValue('.grant-row[data-key=max_uses] input'), '1', 'nothing lost');
      assert.equal(await status(id), 'pending');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the refused form is ${width}px wide`);

      await page.fill('.grant-row[data-key=max_amount] input', '90000');
      await Promise.all([page.waitForURL(/\?approved=1$/), page.click('.approve-form button.btn-approve')]);
      assert.match(
        (await page.locator('.alert-warn').textContent()) ?? '',
        /max_amount: asked 90000, granted 25000/,
      );
      const granted = await server.runtime.store.getPermission(id);
      assert.equal(granted?.grantedScope?.max_amount, 25000);
      assert.equal(granted?.grantedScope?.max_uses, 1);
    } finally {
      await context.close();
    }
  });

  it('approves three low-risk requests in bulk, and the server refuses a high-risk one slipped in', async () => {
    const low = [await coffee(3), await coffee(4), await coffee(5)];
    const payroll = await agentRequest({
      action: 'bank.transfer',
      resource: 'account:payroll',
      scope: { max_amount: 90000, currency: 'EUR' },
      context: { reason: 'Bonus run' },
    });
    const { context, page } = await newPage();
    try {
      await page.goto(`${server.url}/`);
      await page.waitForSelector('#live.on');
      assert.equal(
        await page.locator(`#req-${payroll} input[data-bulk-low]`).count(),
        0,
        'no box on high risk',
      );
      await page.check('#bulk-all');
      assert.equal(await page.locator('#bulk-count').textContent(), '3 of 3 low-risk selected');
      // The ticks survive the live list re-rendering around them.
      const extra = await coffee(6);
      await page.locator(`#req-${extra}`).waitFor();
      assert.deepEqual(
        await page
          .locator('input[data-bulk-low]:checked')
          .evaluateAll((els) => els.map((el) => (el as HTMLInputElement).value))
          .then((v) => v.sort()),
        [...low].sort(),
      );
      await Promise.all([
        page.waitForURL(/\/requests\/bulk$/),
        page.click('button[name=decision][value=approve]'),
      ]);
      assert.equal((await page.locator('.bulk-summary').textContent())?.trim(), 'Approved 3.');
      for (const id of low) assert.equal(await status(id), 'approved');
      assert.equal(await status(extra), 'pending', 'only the selected ones');

      // A tampered form that adds the high-risk request: the server refuses it, decides the rest.
      await page.goto(`${server.url}/`);
      await page.check(`#req-${extra} input[data-bulk-low]`);
      await page.evaluate((id) => {
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.name = 'id';
        box.value = id;
        box.checked = true;
        box.setAttribute('form', 'bulk-form');
        document.body.append(box);
      }, payroll);
      await Promise.all([
        page.waitForURL(/\/requests\/bulk$/),
        page.click('button[name=decision][value=approve]'),
      ]);
      assert.equal(
        (await page.locator('.bulk-summary').textContent())?.trim(),
        'Approved 1, 1 refused: not low risk.',
      );
      assert.match(
        (await page.locator(`.bulk-report li[data-permission="${payroll}"]`).textContent()) ?? '',
        /high risk: only low-risk requests are decided in bulk/,
      );
      assert.equal(await status(payroll), 'pending');
      assert.equal(await status(extra), 'approved');
      await server.runtime.approvals.deny(
        (await server.runtime.users.list())[0] as never,
        payroll,
        'cleanup',
      );
    } finally {
      await context.close();
    }
  });

  it('notifies of a new request once the approver opts in, not of those already shown; a click focuses it', async () => {
    const shown = await coffee(7);
    const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['notifications'], { origin: server.url });
    // A string, not a function: the test's compiled code would bring helpers the page lacks.
    await context.addInitScript(RECORDING_NOTIFICATION);
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    const recorded = () =>
      page.evaluate(() =>
        (
          window as unknown as { recordedNotifications: Array<{ title: string; body: string; tag: string }> }
        ).recordedNotifications.map(({ title, body, tag }) => ({ title, body, tag })),
      );
    try {
      await login(page);
      await page.waitForSelector('#live.on');
      await page.locator(`#req-${shown}`).waitFor();
      const button = page.locator('#notify-toggle');
      assert.equal((await button.textContent())?.trim(), 'Notify me of new requests');
      await button.click();
      await page.waitForFunction(() => document.getElementById('notify-toggle')?.textContent?.includes('on'));
      assert.equal(await page.evaluate(() => localStorage.getItem('agent-otp.notify')), 'on');

      const fresh = await coffee(8);
      await page.waitForFunction(
        () => (window as unknown as { recordedNotifications: unknown[] }).recordedNotifications.length > 0,
        null,
        { timeout: 15_000 },
      );
      assert.deepEqual(await recorded(), [
        {
          title: 'New request: card.purchase (low risk)',
          body: 'office-bot wants to purchase up to 8 USD on card:office',
          tag: fresh,
        },
      ]);
      // Clicking it focuses the request's card.
      await page.evaluate(() =>
        (
          window as unknown as { recordedNotifications: Array<{ onclick: () => void }> }
        ).recordedNotifications[0]?.onclick(),
      );
      assert.equal(await page.evaluate(() => document.activeElement?.id), `req-${fresh}`);

      // A decision elsewhere re-renders the list without notifying; the opt-in survives a reload,
      // and what the reloaded page already shows is not announced again.
      await server.runtime.approvals.deny((await server.runtime.users.list())[0] as never, shown, 'no');
      await page.locator(`#req-${shown}`).waitFor({ state: 'detached' });
      assert.equal((await recorded()).length, 1);
      await page.reload();
      await page.waitForSelector('#live.on');
      assert.match((await button.textContent()) ?? '', /Notifications on/);
      const third = await coffee(9);
      await page.waitForFunction(
        () => (window as unknown as { recordedNotifications: unknown[] }).recordedNotifications.length > 0,
        null,
        { timeout: 15_000 },
      );
      assert.deepEqual(
        (await recorded()).map((n) => n.tag),
        [third],
      );
    } finally {
      await context.close();
    }
    assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
  });
});
