import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

// Each person changes their own password on /account; nobody sets another person's over the web.

describe('changing your own password on /account', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  const OLD = 'carol-password-123';
  const NEW = 'a brand new carol password';

  it('needs the current password, CSRF and a long new one; ends the other sessions, keeps this one', async () => {
    const here = await dash.user('carol', 'approver');
    const elsewhere = await dash.login('carol', OLD);
    const carol = await dash.runtime.users.find('carol');

    const account = await dash.request('GET', '/account', { as: here });
    assert.match(account.text, /action="\/account\/password"/);
    assert.match(account.text, /name="currentPassword"[^>]*autocomplete="current-password"/);

    // Without the session's CSRF token the post is refused and nothing changes.
    const forged = await dash.request('POST', '/account/password', {
      as: here,
      form: { currentPassword: OLD, newPassword: NEW },
    });
    assert.equal(forged.status, 403);

    const wrong = await dash.request('POST', '/account/password', {
      as: here,
      form: { _csrf: here.csrf, currentPassword: 'not-the-password', newPassword: NEW },
    });
    assert.equal(wrong.status, 403);
    assert.match(wrong.text, /the current password is wrong/);
    const [failed] = await dash.runtime.store.listAudit({ event: 'user.password_change_failed', limit: 10 });
    assert.deepEqual(failed?.actor, { type: 'user', id: carol.id });

    const short = await dash.request('POST', '/account/password', {
      as: here,
      form: { _csrf: here.csrf, currentPassword: OLD, newPassword: 'too-short' },
    });
    assert.equal(short.status, 400);
    assert.match(short.text, /at least 12 characters/);
    assert.equal((await dash.request('GET', '/', { as: elsewhere })).status, 200, 'nothing changed yet');

    const changed = await dash.request('POST', '/account/password', {
      as: here,
      form: { _csrf: here.csrf, currentPassword: OLD, newPassword: NEW },
    });
    assert.equal(changed.status, 200);
    assert.match(changed.text, /Password changed; 1 other session ended\./);
    assert.ok(!changed.text.includes(NEW) && !changed.text.includes(OLD));

    // This browser stays in; the other one is out; only the new password logs in.
    assert.equal((await dash.request('GET', '/account', { as: here })).status, 200);
    const out = await dash.request('GET', '/', { as: elsewhere });
    assert.equal(out.status, 302);
    await assert.rejects(dash.login('carol', OLD), /login failed: 401/);
    await dash.login('carol', NEW);

    const [entry, ...more] = await dash.runtime.store.listAudit({
      event: 'user.password_changed',
      limit: 10,
    });
    assert.deepEqual(more, []);
    assert.deepEqual(entry?.actor, { type: 'user', id: carol.id });
    assert.equal(entry?.details.userId, carol.id);
    assert.equal(entry?.details.sessionsEnded, 1);
    const audit = JSON.stringify(await dash.runtime.store.listAudit({ limit: 1000 }));
    assert.ok(!audit.includes(NEW) && !audit.includes(OLD), 'no password in the audit');
  });

  it("the form names no user: an admin's post changes only the admin's own password", async () => {
    const admin = await dash.loginAdmin();
    const dave = await dash.user('dave', 'approver');
    const daveUser = await dash.runtime.users.find('dave');
    const posted = await dash.request('POST', '/account/password', {
      as: admin,
      form: {
        _csrf: admin.csrf,
        userId: daveUser.id,
        name: 'dave',
        currentPassword: 'dave-password-123',
        newPassword: 'taken over by the admin',
      },
    });
    assert.equal(posted.status, 403, 'checked against the admin, whose password this is not');
    assert.equal((await dash.request('GET', '/', { as: dave })).status, 200);
    await dash.login('dave', 'dave-password-123');
    assert.equal(
      (
        await dash.request('POST', `/users/${daveUser.id}/password`, {
          as: admin,
          form: { _csrf: admin.csrf },
        })
      ).status,
      404,
    );
  });

  it('wrong current passwords are throttled like logins', async () => {
    const erin = await dash.user('erin', 'viewer');
    let last = 0;
    for (let i = 0; i < 12 && last !== 429; i++) {
      last = (
        await dash.request('POST', '/account/password', {
          as: erin,
          form: { _csrf: erin.csrf, currentPassword: `guess-${i}-xxxxxxxx`, newPassword: NEW },
        })
      ).status;
    }
    assert.equal(last, 429);
    const refused = await dash.request('POST', '/account/password', {
      as: erin,
      form: { _csrf: erin.csrf, currentPassword: 'erin-password-123', newPassword: NEW },
    });
    assert.equal(refused.status, 429, 'even the right one waits');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
  });
});
