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
const HOST = { type: 'system', id: 'test' } as const;

/** Agent expiry, rotation with a grace period, and personal tokens, clicked through in Chromium. */
describe('agents and tokens in Chromium', { skip, timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    server = await startTestServer({
      policy: BANK_POLICY,
      env: { AGENT_OTP_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (dialog) => dialog.accept());
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${server.url}/login`);
    await page.fill('input[name=name]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')]);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** What an agent request with this key answers: its HTTP status. */
  const ask = async (apiKey: string) =>
    (
      await fetch(`${server.url}/api/v1/permissions/request`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'file.read' }),
      })
    ).status;

  const row = (name: string) => page.locator('tr', { has: page.locator(`strong:text-is("${name}")`) });

  it('sets an expiry, rotates with a grace period, sees the old key in use, ends the grace', async () => {
    const first = await server.createAgent('rot-bot');
    await page.goto(`${server.url}/agents`);
    assert.equal((await row('rot-bot').locator('td.expiry').textContent())?.trim(), 'never');

    await row('rot-bot').locator('details.expiry-dialog summary').click();
    await row('rot-bot').locator('details.expiry-dialog input[name=expiresIn]').fill('12d');
    await Promise.all([
      page.waitForURL(`${server.url}/agents`),
      row('rot-bot').locator('details.expiry-dialog button', { hasText: 'Set expiry' }).click(),
    ]);
    assert.equal((await row('rot-bot').locator('td.expiry').textContent())?.trim(), 'expires in 12 days');
    const stored = await server.runtime.agents.find('rot-bot');
    assert.ok(stored.expiresAt && Math.abs(stored.expiresAt - Date.now() - 12 * 86_400_000) < 60_000);

    await row('rot-bot').locator('details.rotate-dialog summary').click();
    await row('rot-bot').locator('details.rotate-dialog select[name=grace]').selectOption('10m');
    await Promise.all([
      page.waitForURL(`${server.url}/agents/${first.id}/rotate`),
      row('rot-bot').locator('details.rotate-dialog button', { hasText: 'Rotate' }).click(),
    ]);
    assert.match((await page.locator('.alert').textContent()) ?? '', /previous key stays valid until/);
    const newKey = await page.inputValue('#api-key');
    assert.match(newKey, /^ak_/);

    assert.notEqual(await ask(first.apiKey), 401, 'the old key works during the grace period');
    assert.notEqual(await ask(newKey), 401);
    await page.goto(`${server.url}/agents`);
    const previous = (await row('rot-bot').locator('.previous-key').textContent()) ?? '';
    assert.match(previous, new RegExp(`previous key ${first.apiKey.slice(0, 8)}`));
    assert.match(previous, /valid until .+, last used /, previous);
    assert.doesNotMatch(previous, /not lately/, "the old key's use is seen");
    assert.equal(await row('rot-bot').locator('.previous-key time').count(), 2, 'valid until, last used');

    await Promise.all([
      page.waitForURL(`${server.url}/agents`),
      row('rot-bot').locator('button', { hasText: 'End grace now' }).click(),
    ]);
    assert.equal(await row('rot-bot').locator('.previous-key').count(), 0);
    assert.equal(await ask(first.apiKey), 401, 'the old key is refused once the grace is ended');

    await row('rot-bot').locator('details.expiry-dialog summary').click();
    await Promise.all([
      page.waitForURL(`${server.url}/agents`),
      row('rot-bot').locator('button', { hasText: 'Never expire' }).click(),
    ]);
    assert.equal((await row('rot-bot').locator('td.expiry').textContent())?.trim(), 'never');
    const events = (await server.runtime.store.listAudit({ agentId: first.id, limit: 50 })).map(
      (e) => e.event,
    );
    for (const event of ['agent.expiry_set', 'agent.key_rotated', 'agent.previous_key_revoked']) {
      assert.ok(events.includes(event), event);
    }
  });

  it('shows a bad expiry as an error on the page, changing nothing', async () => {
    await server.createAgent('typo-bot');
    await page.goto(`${server.url}/agents`);
    await row('typo-bot').locator('details.expiry-dialog summary').click();
    await row('typo-bot').locator('details.expiry-dialog input[name=expiresIn]').fill('12 days');
    await row('typo-bot').locator('details.expiry-dialog button', { hasText: 'Set expiry' }).click();
    await page.waitForSelector('.alert');
    assert.match((await page.locator('.alert').textContent()) ?? '', /unit s, m, h or d/);
    assert.equal((await server.runtime.agents.find('typo-bot')).expiresAt, null);
    problems.splice(0); // the 400 of the refused form is expected
  });

  it('lists and revokes personal tokens: your own on /account, another user’s as an admin', async () => {
    await page.goto(`${server.url}/account`);
    await page.fill('form[action="/account/tokens"] input[name=name]', 'laptop');
    await Promise.all([
      page.waitForURL(`${server.url}/account/tokens`),
      page.click('form[action="/account/tokens"] button[type=submit]'),
    ]);
    const mine = await page.inputValue('#secret');
    assert.ok(await server.runtime.users.authenticateToken(mine));
    await page.click('a:text("Done")');
    const laptop = page.locator('tr', { hasText: 'laptop' });
    assert.match((await laptop.textContent()) ?? '', /active/);
    await Promise.all([
      page.waitForURL(`${server.url}/account`),
      laptop.locator('button', { hasText: 'Revoke' }).click(),
    ]);
    assert.doesNotMatch((await page.locator('tr', { hasText: 'laptop' }).textContent()) ?? '', /active/);
    assert.equal(await server.runtime.users.authenticateToken(mine), null);

    const { user } = await server.runtime.users.create({ name: 'alice', role: 'approver' }, HOST);
    const { token } = await server.runtime.users.createToken(user.id, 'ci-runner', HOST);
    await page.goto(`${server.url}/users`);
    await Promise.all([
      page.waitForURL(`${server.url}/users/${user.id}/tokens`),
      page.locator('tr', { hasText: 'alice' }).locator('a', { hasText: 'Tokens' }).click(),
    ]);
    const ci = page.locator('tr', { hasText: 'ci-runner' });
    assert.match((await ci.textContent()) ?? '', /active/);
    await Promise.all([
      page.waitForURL(`${server.url}/users/${user.id}/tokens`),
      ci.locator('button', { hasText: 'Revoke' }).click(),
    ]);
    assert.doesNotMatch((await page.locator('tr', { hasText: 'ci-runner' }).textContent()) ?? '', /active/);
    assert.equal(await server.runtime.users.authenticateToken(token), null);
    assert.deepEqual(problems, []);
  });
});
