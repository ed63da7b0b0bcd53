import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

const SECRET = /whsec_[A-Za-z0-9_-]{43}/;

describe('dashboard webhooks (admins only)', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  it('adds a webhook showing its secret once, lists it, shows deliveries, removes it', async () => {
    const admin = await dash.loginAdmin();
    const form = new URLSearchParams({ _csrf: admin.csrf, url: 'https://hooks.example.com/in' });
    form.append('events', 'permission.denied');
    form.append('events', 'permission.approved');
    const response = await dash.runtime.app.request('/webhooks', {
      method: 'POST',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    assert.equal(response.status, 200);
    const created = await response.text();
    const secret = SECRET.exec(created)?.[0];
    assert.ok(secret, 'the secret is on the result page');
    const [webhook] = await dash.runtime.webhooks.service.list();
    assert.ok(webhook);
    assert.deepEqual(webhook.events, ['permission.approved', 'permission.denied']);
    assert.equal(dash.runtime.webhooks.service.secretOf(webhook), secret);

    const list = await dash.request('GET', '/webhooks', { as: admin });
    assert.equal(list.status, 200);
    assert.ok(list.text.includes('https://hooks.example.com/in'));
    assert.doesNotMatch(list.text, SECRET);
    assert.ok(!list.text.includes(webhook.salt));

    const { agent } = await dash.agent('payer');
    const outcome = await dash.ask(agent);
    await dash.runtime.webhooks.dispatcher.dispatch({
      permissionId: outcome.permission.id,
      agentId: agent.id,
      status: 'denied',
      kind: 'denied',
    });
    const deliveries = await dash.request('GET', `/webhooks/${webhook.id}`, { as: admin });
    assert.equal(deliveries.status, 200);
    assert.match(deliveries.text, /permission\.denied/);
    assert.ok(deliveries.text.includes(outcome.permission.id));

    const removed = await dash.request('POST', `/webhooks/${webhook.id}/remove`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(removed.status, 303);
    assert.deepEqual(await dash.runtime.webhooks.service.list(), []);
  });

  it('shows a bad URL inline; refuses approvers and a missing CSRF token', async () => {
    const admin = await dash.loginAdmin();
    const bad = await dash.request('POST', '/webhooks', {
      as: admin,
      form: { _csrf: admin.csrf, url: 'ftp://example.com/x' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /url must use http:\/\/ or https:\/\//);
    const approver = await dash.user('appro', 'approver');
    assert.equal((await dash.request('GET', '/webhooks', { as: approver })).status, 403);
    const post = await dash.request('POST', '/webhooks', {
      as: approver,
      form: { _csrf: approver.csrf, url: 'https://example.com/' },
    });
    assert.equal(post.status, 403);
    const noCsrf = await dash.request('POST', '/webhooks', {
      as: admin,
      form: { url: 'https://example.com/' },
    });
    assert.equal(noCsrf.status, 403);
    assert.deepEqual(await dash.runtime.webhooks.service.list(), []);
  });
});
