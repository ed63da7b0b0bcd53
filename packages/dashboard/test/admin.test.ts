import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

const KEY = /ak_[A-Za-z0-9_-]{20,}/;

describe('dashboard agents, users and policies', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  it('shows a new agent key once, on the create response only', async () => {
    const admin = await dash.loginAdmin();
    const created = await dash.request('POST', '/agents', {
      as: admin,
      form: { _csrf: admin.csrf, name: 'mailer' },
    });
    assert.equal(created.status, 200);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const key = KEY.exec(created.text)?.[0];
    assert.ok(key, 'the key is on the result page');
    assert.match(created.text, /data-copy="api-key"/);
    const agent = await dash.runtime.agents.authenticate(key);
    assert.equal(agent.name, 'mailer');
    const list = await dash.request('GET', '/agents', { as: admin });
    assert.ok(list.text.includes('mailer'));
    assert.ok(!list.text.includes(key), 'never shown again');
    assert.doesNotMatch(list.text, KEY);
  });

  it('rotates (new key once, old one dead), disables and enables', async () => {
    const admin = await dash.loginAdmin();
    const { id, apiKey } = await dash.agent('rotor');
    const rotated = await dash.request('POST', `/agents/${id}/rotate`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(rotated.status, 200);
    const fresh = KEY.exec(rotated.text)?.[0];
    assert.ok(fresh && fresh !== apiKey);
    await assert.rejects(dash.runtime.agents.authenticate(apiKey));
    const disabled = await dash.request('POST', `/agents/${id}/disable`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(disabled.status, 303);
    assert.equal((await dash.runtime.agents.find(id)).status, 'disabled');
    await dash.request('POST', `/agents/${id}/enable`, { as: admin, form: { _csrf: admin.csrf } });
    assert.equal((await dash.runtime.agents.find(id)).status, 'active');
  });

  it('shows a bad agent name inline and keeps changes to admins', async () => {
    const admin = await dash.loginAdmin();
    const bad = await dash.request('POST', '/agents', {
      as: admin,
      form: { _csrf: admin.csrf, name: 'no spaces' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /agent name must be/);
    const approver = await dash.user('ann', 'approver');
    const list = await dash.request('GET', '/agents', { as: approver });
    assert.equal(list.status, 200);
    assert.doesNotMatch(list.text, /Create agent|\/rotate"/);
    const refused = await dash.request('POST', '/agents', {
      as: approver,
      form: { _csrf: approver.csrf, name: 'nope' },
    });
    assert.equal(refused.status, 403);
    assert.equal(
      (await dash.runtime.agents.list()).some((a) => a.name === 'nope'),
      false,
    );
  });

  it('lets admins create users with a generated password shown once, and disable them', async () => {
    const admin = await dash.loginAdmin();
    const created = await dash.request('POST', '/users', {
      as: admin,
      form: { _csrf: admin.csrf, name: 'bob', role: 'viewer' },
    });
    assert.equal(created.status, 200);
    const password = /id="secret" type="text" readonly="" value="([^"]+)"/.exec(created.text)?.[1];
    assert.ok(password, 'the generated password is on the result page');
    await dash.login('bob', password); // it works
    const list = await dash.request('GET', '/users', { as: admin });
    assert.ok(list.text.includes('bob') && !list.text.includes(password));
    const bob = await dash.runtime.users.find('bob');
    await dash.request('POST', `/users/${bob.id}/disable`, { as: admin, form: { _csrf: admin.csrf } });
    assert.equal((await dash.runtime.users.find('bob')).status, 'disabled');
    const self = await dash.request('POST', `/users/${(await dash.runtime.users.find('admin')).id}/disable`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(self.status, 400);
  });

  it('keeps /users away from non-admins', async () => {
    const approver = await dash.user('carl', 'approver');
    assert.equal((await dash.request('GET', '/users', { as: approver })).status, 403);
    const post = await dash.request('POST', '/users', {
      as: approver,
      form: { _csrf: approver.csrf, name: 'x', role: 'admin' },
    });
    assert.equal(post.status, 403);
    const page = await dash.request('GET', '/', { as: approver });
    assert.doesNotMatch(page.text, /href="\/users"/);
  });

  it('shows the policy file and version, and simulates a request with an explanation', async () => {
    const viewer = await dash.user('vic', 'viewer');
    const page = await dash.request('GET', '/policies', { as: viewer });
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(dash.runtime.policy.current().version));
    assert.match(page.text, /Banking needs a human/);
    assert.match(page.text, /The file is valid: 3 rules/);
    const sim = await dash.request('POST', '/policies/simulate', {
      as: viewer,
      form: { _csrf: viewer.csrf, request: JSON.stringify({ action: 'file.write', agent: 'mailer' }) },
    });
    assert.equal(sim.status, 200);
    assert.match(sim.text, /Decision: <span class="badge badge-deny">deny<\/span>/);
    assert.match(sim.text, /by rule “Default deny”/);
    assert.match(sim.text, /does not/, 'says why the earlier rules failed');
    const bank = await dash.request('POST', '/policies/simulate', {
      as: viewer,
      form: { _csrf: viewer.csrf, request: '{"action":"bank.pay"}' },
    });
    assert.match(bank.text, /badge-require_approval">require_approval/);
    const bad = await dash.request('POST', '/policies/simulate', {
      as: viewer,
      form: { _csrf: viewer.csrf, request: '{"scope":1}' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /needs an &quot;action&quot; string|needs an "action" string/);
  });
});
