import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

describe('account page: linking Telegram', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  it('shows a one-time code for the logged-in user, then the linked chat, and unlinks it', async () => {
    const bob = await dash.user('bob', 'approver');
    const bobUser = await dash.runtime.users.find('bob');
    const page = await dash.request('GET', '/account', { as: bob });
    assert.match(page.text, /Telegram/);
    assert.match(page.text, /No chat linked/);
    assert.match(page.text, /bot is not running on this server/, 'says the bot is off without a token');

    const made = await dash.request('POST', '/account/telegram/code', { as: bob, form: { _csrf: bob.csrf } });
    assert.equal(made.status, 200);
    const code = /\/start ([A-Za-z0-9_-]{24})/.exec(made.text)?.[1];
    assert.ok(code, 'the page shows /start CODE');
    const redeemed = await dash.runtime.telegramLinks.redeem(code, { chatId: '555', chatLabel: '@bobby' });
    assert.equal(redeemed?.user.id, bobUser.id, 'the code links the logged-in user');

    const linked = await dash.request('GET', '/account', { as: bob });
    assert.match(linked.text, /@bobby/);
    assert.match(linked.text, /555/);

    const refused = await dash.request('POST', '/account/telegram/unlink', { as: bob, form: {} });
    assert.equal(refused.status, 403, 'no CSRF token, no unlink');
    assert.ok(await dash.runtime.store.getTelegramLinkByUser(bobUser.id));

    const unlinked = await dash.request('POST', '/account/telegram/unlink', {
      as: bob,
      form: { _csrf: bob.csrf },
    });
    assert.equal(unlinked.status, 303);
    assert.equal(await dash.runtime.store.getTelegramLinkByUser(bobUser.id), null);
    const audit = await dash.runtime.store.listAudit({ event: 'telegram.unlinked', limit: 5 });
    assert.deepEqual(audit.at(-1)?.actor, { type: 'user', id: bobUser.id });
  });
});
