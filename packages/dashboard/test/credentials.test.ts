import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BANK_POLICY, createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

const UAT = /uat_[A-Za-z0-9_-]{20,}/;
const KEY = /ak_[A-Za-z0-9_-]{20,}/;

const POLICY = `${BANK_POLICY}
- name: "Wires need two people"
  conditions: { action: { equals: "wire.send" } }
  action: require_approval
  priority: 200
  approvals: 2
  approvalTimeout: 600
`;

describe('credentials over the web: who may mint them, and disabling ends them', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime({ policy: POLICY });
  });
  after(() => dash.close());

  const api = (method: string, path: string, key: string, body?: unknown) =>
    dash.runtime.app.request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('finding 7: an admin cannot mint a token for another user; each person makes their own', async () => {
    const admin = await dash.loginAdmin();
    const bob = await dash.user('bob', 'approver');
    const bobUser = await dash.runtime.users.find('bob');

    // The route that used to mint a token for any user is gone, and the users page offers none.
    const minted = await dash.request('POST', `/users/${bobUser.id}/tokens`, {
      as: admin,
      form: { _csrf: admin.csrf, name: 'sock-puppet' },
    });
    assert.equal(minted.status, 404);
    assert.doesNotMatch(minted.text, UAT);
    assert.deepEqual(await dash.runtime.users.listTokens('bob'), []);
    const users = await dash.request('GET', '/users', { as: admin });
    assert.doesNotMatch(users.text, /New token/);

    // Bob makes his own; the audit says who minted it and for whom.
    const own = await dash.request('POST', '/account/tokens', {
      as: bob,
      form: { _csrf: bob.csrf, name: 'laptop' },
    });
    assert.equal(own.status, 200);
    const uat = UAT.exec(own.text)?.[0];
    assert.ok(uat);
    assert.equal((await dash.runtime.users.authenticateToken(uat))?.name, 'bob');
    const [created] = await dash.runtime.store.listAudit({ event: 'user.token_created', limit: 10 });
    assert.deepEqual(created?.actor, { type: 'user', id: bobUser.id });
    assert.deepEqual(created?.details.mintedBy, { type: 'user', id: bobUser.id });
    assert.equal(created?.details.userId, bobUser.id);

    // The admin sees and may revoke it, but the page never shows the token itself.
    const [record] = await dash.runtime.users.listTokens('bob');
    assert.ok(record);
    const listed = await dash.request('GET', `/users/${bobUser.id}/tokens`, { as: admin });
    assert.equal(listed.status, 200);
    assert.match(listed.text, /laptop/);
    assert.doesNotMatch(listed.text, UAT);
    assert.equal((await dash.request('GET', `/users/${bobUser.id}/tokens`, { as: bob })).status, 403);

    // Someone else's token id under your own account is not yours to revoke.
    const adminToken = await dash.request('POST', '/account/tokens', {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    const adminUat = UAT.exec(adminToken.text)?.[0] as string;
    const [adminRecord] = await dash.runtime.users.listTokens('admin');
    const stolen = await dash.request('POST', `/account/tokens/${adminRecord?.id}/revoke`, {
      as: bob,
      form: { _csrf: bob.csrf },
    });
    assert.equal(stolen.status, 404);
    assert.equal((await dash.runtime.users.authenticateToken(adminUat))?.name, 'admin');

    const revoked = await dash.request('POST', `/users/${bobUser.id}/tokens/${record.id}/revoke`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(revoked.status, 303);
    assert.equal(await dash.runtime.users.authenticateToken(uat), null);
  });

  it('finding 7: one admin alone cannot meet approvals: 2, with any number of own tokens', async () => {
    const admin = await dash.loginAdmin();
    const { agent } = await dash.agent('wirer');
    const asked = await dash.ask(agent, 'wire.send');
    const id = asked.permission.id;
    const first = await dash.request('POST', `/requests/${id}/approve`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(first.status, 303);
    const page = await dash.request('POST', '/account/tokens', { as: admin, form: { _csrf: admin.csrf } });
    const second = await api(
      'POST',
      `/api/v1/approvals/${id}/approve`,
      UAT.exec(page.text)?.[0] as string,
      {},
    );
    assert.equal(second.status, 409);
    assert.equal((await dash.runtime.store.getPermission(id))?.status, 'pending');
    const carol = await dash.user('carol', 'approver');
    await dash.request('POST', `/requests/${id}/approve`, { as: carol, form: { _csrf: carol.csrf } });
    assert.equal((await dash.runtime.store.getPermission(id))?.status, 'approved');
  });

  it('finding 7: every login records who minted the session and for whom', async () => {
    await dash.loginAdmin();
    const adminId = (await dash.runtime.users.find('admin')).id;
    const logins = await dash.runtime.store.listAudit({ event: 'user.login', limit: 100 });
    const last = logins.at(-1);
    assert.deepEqual(last?.details.mintedBy, { type: 'user', id: adminId });
    assert.equal(last?.details.userId, adminId);
    // Not the session id: it shares the ses_ prefix of session secrets, which the audit never holds.
    assert.doesNotMatch(JSON.stringify(last), /ses_/);
  });

  it('finding 10: disabling an agent revokes its tokens and cancels its requests; enabling issues a new key', async () => {
    const admin = await dash.loginAdmin();
    const { id: agentId, apiKey, agent } = await dash.agent('retired-bot');
    const read = await dash.ask(agent, 'file.read');
    assert.equal(read.status, 'approved');
    const token = read.status === 'approved' ? read.token : '';
    const pendingId = (await dash.ask(agent)).permission.id;
    // An agent waiting on its pending request learns of the cancel at once.
    const waiting = api('GET', `/api/v1/permissions/${pendingId}?wait=20`, apiKey);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const started = Date.now();
    const disabled = await dash.request('POST', `/agents/${agentId}/disable`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(disabled.status, 303);
    const waited = await waiting;
    assert.ok(Date.now() - started < 5_000, 'woken by the event, not by the timeout');
    assert.equal(((await waited.json()) as { data: { status: string } }).data.status, 'cancelled');
    assert.equal((await dash.runtime.store.getPermission(read.permission.id))?.status, 'revoked');
    const refused = await api('POST', `/api/v1/permissions/${read.permission.id}/use`, apiKey, { token });
    assert.equal(refused.status, 403, 'the disabled key is refused');

    const enabled = await dash.request('POST', `/agents/${agentId}/enable`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(enabled.status, 200);
    assert.match(enabled.text, /enabled with a new key/);
    const fresh = KEY.exec(enabled.text)?.[0] as string;
    assert.ok(fresh && fresh !== apiKey);
    const old = await api('GET', '/api/v1/permissions', apiKey);
    assert.equal(old.status, 401, 'the key from before the disable never works again');
    const use = await api('POST', `/api/v1/permissions/${read.permission.id}/use`, fresh, { token });
    assert.equal(use.status, 410);
    assert.equal(((await use.json()) as { error: { code: string } }).error.code, 'TOKEN_REVOKED');
    assert.equal((await dash.runtime.store.getPermission(pendingId))?.status, 'cancelled');

    const audit = await dash.runtime.store.listAudit({ agentId, limit: 100 });
    const adminId = (await dash.runtime.users.find('admin')).id;
    for (const event of ['agent.disabled', 'permission.revoked', 'permission.cancelled', 'agent.enabled']) {
      const entry = audit.find((e) => e.event === event);
      assert.deepEqual(entry?.actor, { type: 'user', id: adminId }, event);
    }
    assert.deepEqual(audit.find((e) => e.event === 'agent.enabled')?.details.mintedBy, {
      type: 'user',
      id: adminId,
    });
  });

  it('finding 10: disabling a user ends their sessions and tokens for good', async () => {
    const admin = await dash.loginAdmin();
    const dora = await dash.user('dora', 'approver');
    const page = await dash.request('POST', '/account/tokens', { as: dora, form: { _csrf: dora.csrf } });
    const uat = UAT.exec(page.text)?.[0] as string;
    const doraId = (await dash.runtime.users.find('dora')).id;
    await dash.request('POST', `/users/${doraId}/disable`, { as: admin, form: { _csrf: admin.csrf } });
    await dash.request('POST', `/users/${doraId}/enable`, { as: admin, form: { _csrf: admin.csrf } });
    assert.equal((await dash.runtime.users.find('dora')).status, 'active');
    const home = await dash.request('GET', '/', { as: dora });
    assert.equal(home.status, 302, 'the old session is gone');
    assert.match(home.headers.get('location') ?? '', /^\/login/);
    assert.equal((await api('GET', '/api/v1/approvals', uat)).status, 401, 'the old token stays revoked');
    const revokedEvents = await dash.runtime.store.listAudit({ event: 'user.token_revoked', limit: 100 });
    assert.ok(revokedEvents.some((e) => e.details.userId === doraId && e.details.reason));
    await dash.login('dora', 'dora-password-123'); // the person may log in again
  });
});
