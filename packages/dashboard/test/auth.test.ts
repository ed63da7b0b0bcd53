import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

describe('dashboard login and session', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  it('redirects every page to /login when logged out, keeping where to return', async () => {
    for (const path of ['/', '/agents', '/audit', '/overview', '/policies', '/users']) {
      const res = await dash.request('GET', path);
      assert.equal(res.status, 302, path);
      assert.match(res.headers.get('location') ?? '', /^\/login/);
    }
    const res = await dash.request('GET', '/requests/perm_abcdefghijklmnop');
    assert.equal(res.headers.get('location'), '/login?next=%2Frequests%2Fperm_abcdefghijklmnop');
  });

  it('answers htmx fragment requests without a session with HX-Redirect, not a page', async () => {
    const res = await dash.request('GET', '/inbox', { headers: { 'hx-request': 'true' } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('hx-redirect'), '/login');
  });

  it('logs in with a strict HttpOnly session cookie and goes to the requested page', async () => {
    const res = await dash.request('POST', '/login', {
      form: { name: 'admin', password: ADMIN_PASSWORD, next: '/agents' },
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/agents');
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^agent_otp_session=ses_/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.match(cookie, /Max-Age=43200/);
    assert.doesNotMatch(cookie, /Secure/, 'plain http: no Secure flag');
    const page = await dash.request('GET', '/', { as: { cookie: cookie.split(';')[0] ?? '', csrf: '' } });
    assert.equal(page.status, 200);
    assert.match(page.text, /Inbox/);
  });

  it('marks the cookie Secure over https and refuses off-site next= targets', async () => {
    const res = await dash.request('POST', 'https://otp.example.com/login', {
      form: { name: 'admin', password: ADMIN_PASSWORD, next: '//evil.example/' },
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/');
    assert.match(res.headers.get('set-cookie') ?? '', /Secure/);
  });

  it('shows a message for a wrong password, then throttles with the wait in seconds', async () => {
    const wrong = await dash.request('POST', '/login', {
      form: { name: 'admin', password: 'not the password' },
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /Wrong user name or password/);
    assert.equal(wrong.headers.get('set-cookie'), null);
    let last = wrong;
    for (let i = 0; i < 20 && last.status !== 429; i++) {
      last = await dash.request('POST', '/login', { form: { name: 'admin', password: 'still not it' } });
    }
    assert.equal(last.status, 429);
    assert.match(last.text, /Try again in \d+ seconds/);
    // Throttled even with the right password, until the wait is over.
    const right = await dash.request('POST', '/login', { form: { name: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(right.status, 429);
    dash.clock.advance(3600_000);
    const later = await dash.request('POST', '/login', { form: { name: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(later.status, 303);
  });

  it('ignores an agent key: Authorization: Bearer ak_… logs no one in', async () => {
    const { apiKey } = await dash.agent('mailer');
    for (const path of ['/', '/agents', '/users']) {
      const res = await dash.request('GET', path, { headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(res.status, 302, path);
    }
    const post = await dash.request('POST', '/agents', {
      headers: { authorization: `Bearer ${apiKey}` },
      form: { name: 'sneaky' },
    });
    assert.equal(post.status, 303);
    assert.equal(post.headers.get('location'), '/login');
    assert.equal(
      (await dash.runtime.agents.list()).some((a) => a.name === 'sneaky'),
      false,
    );
  });

  it('sends a strict CSP and no-store on pages, and long caching on hashed assets', async () => {
    const login = await dash.request('GET', '/login');
    const csp = login.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /form-action 'self'/);
    assert.equal(login.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(login.text, /<script>|<style|style="/, 'no inline script or style');
    const script = /src="(\/assets\/htmx\.[0-9a-f]+\.min\.js)"/.exec(login.text)?.[1];
    assert.ok(script, 'htmx is served from /assets/');
    const asset = await dash.request('GET', script);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=31536000, immutable/);
    assert.match(asset.text, /htmx/);
    assert.equal((await dash.request('GET', '/assets/nope.js')).status, 404);
  });

  it('renders HTML 404s for pages while /api keeps its JSON envelope', async () => {
    const admin = await dash.loginAdmin();
    const page = await dash.request('GET', '/no-such-page', { as: admin });
    assert.equal(page.status, 404);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.text, /Not found/);
    const api = await dash.request('GET', '/api/v1/nothing-here', { as: admin });
    assert.equal(api.status, 404);
    assert.equal(JSON.parse(api.text).error.code, 'NOT_FOUND');
    assert.equal(api.headers.get('content-security-policy'), null);
  });

  it('logs out with the CSRF token, which ends the session', async () => {
    const admin = await dash.loginAdmin();
    const refused = await dash.request('POST', '/logout', { as: admin, form: {} });
    assert.equal(refused.status, 403);
    const res = await dash.request('POST', '/logout', { as: admin, form: { _csrf: admin.csrf } });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login');
    assert.equal((await dash.request('GET', '/', { as: admin })).status, 302);
  });

  it('refuses form posts a browser marks as cross-site', async () => {
    const admin = await dash.loginAdmin();
    const res = await dash.request('POST', '/logout', {
      as: admin,
      form: { _csrf: admin.csrf },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(res.status, 403);
  });
});
