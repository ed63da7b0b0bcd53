import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

describe('changing a user role on the users page', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  const userNamed = async (name: string) => {
    const user = (await dash.runtime.users.list()).find((u) => u.name === name);
    assert.ok(user, name);
    return user;
  };
  const roleEntries = async () =>
    (await dash.runtime.store.listAudit({ event: 'user.role_changed', limit: 100 })).map((e) => e.details);

  it('lets an admin change a role, audited with from and to', async () => {
    const admin = await dash.loginAdmin();
    await dash.user('maria', 'approver');
    const maria = await userNamed('maria');
    const page = await dash.request('GET', '/users', { as: admin });
    assert.ok(page.text.includes(`action="/users/${maria.id}/role"`));
    const done = await dash.request('POST', `/users/${maria.id}/role`, {
      as: admin,
      form: { _csrf: admin.csrf, role: 'viewer' },
    });
    assert.equal(done.status, 303);
    assert.equal((await userNamed('maria')).role, 'viewer');
    assert.deepEqual(await roleEntries(), [
      { userId: maria.id, name: 'maria', from: 'approver', to: 'viewer' },
    ]);
  });

  it('refuses to demote the last active admin, and an unknown role', async () => {
    const admin = await dash.loginAdmin();
    const me = await userNamed('admin');
    const refused = await dash.request('POST', `/users/${me.id}/role`, {
      as: admin,
      form: { _csrf: admin.csrf, role: 'viewer' },
    });
    assert.equal(refused.status, 409);
    assert.match(refused.text, /admin is the last active admin/);
    assert.equal((await userNamed('admin')).role, 'admin');
    const bad = await dash.request('POST', `/users/${me.id}/role`, {
      as: admin,
      form: { _csrf: admin.csrf, role: 'owner' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /role must be one of viewer, approver, admin|role must be one of/);
    assert.equal((await roleEntries()).length, 1, 'refusals are not audited as changes');
  });

  it('lets an admin step down once another admin exists, and sends them to the inbox', async () => {
    const admin = await dash.loginAdmin();
    const maria = await userNamed('maria');
    await dash.request('POST', `/users/${maria.id}/role`, {
      as: admin,
      form: { _csrf: admin.csrf, role: 'admin' },
    });
    const me = await userNamed('admin');
    const down = await dash.request('POST', `/users/${me.id}/role`, {
      as: admin,
      form: { _csrf: admin.csrf, role: 'approver' },
    });
    assert.equal(down.status, 303);
    assert.equal(down.headers.get('location'), '/');
    assert.equal((await dash.request('GET', '/users', { as: admin })).status, 403, 'no longer an admin');
  });

  it('is for admins only, with a CSRF token', async () => {
    const approver = await dash.user('otto', 'approver');
    const maria = await userNamed('maria');
    const refused = await dash.request('POST', `/users/${maria.id}/role`, {
      as: approver,
      form: { _csrf: approver.csrf, role: 'viewer' },
    });
    assert.equal(refused.status, 403);
    const nextAdmin = await dash.login('maria', 'maria-password-123');
    const noCsrf = await dash.request('POST', `/users/${maria.id}/role`, {
      as: nextAdmin,
      form: { role: 'viewer' },
    });
    assert.equal(noCsrf.status, 403);
    assert.equal((await userNamed('maria')).role, 'admin');
  });
});
