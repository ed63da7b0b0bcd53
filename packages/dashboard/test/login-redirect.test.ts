import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

/** Finding 11: values of `next` that a browser could follow off-site, or that break the header. */
const HOSTILE = [
  '/\t/evil.example',
  '/\r\n/evil.example',
  '/\nSet-Cookie: a=b',
  '/ /evil.example',
  '//evil.example',
  '///evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  '/%2F/evil.example',
  '/%2f/evil.example',
  '/%252F/evil.example',
  '/%5Cevil.example',
  '/%09/evil.example',
  '/%0d%0a/evil.example',
  '/..//evil.example',
  '/%2e%2e//evil.example',
  'https://evil.example/',
  'http:evil.example',
  '//evil.example@otp.example.com',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'evil.example',
  '',
  '/\u3002evil.example',
  '/%E0%A4%A',
];

describe('login next= redirect (finding 11)', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  it('sends every hostile next to / after a successful login, never a 500', async () => {
    for (const next of HOSTILE) {
      const res = await dash.request('POST', '/login', {
        form: { name: 'admin', password: ADMIN_PASSWORD, next },
      });
      assert.equal(res.status, 303, JSON.stringify(next));
      assert.equal(res.headers.get('location'), '/', JSON.stringify(next));
    }
  });

  it('sends a logged-in user with a hostile next to /, and renders the form with next=/', async () => {
    const admin = await dash.loginAdmin();
    for (const next of HOSTILE) {
      const query = `/login?next=${encodeURIComponent(next)}`;
      const res = await dash.request('GET', query, { as: admin });
      assert.equal(res.status, 302, JSON.stringify(next));
      assert.equal(res.headers.get('location'), '/', JSON.stringify(next));
      const form = await dash.request('GET', query);
      assert.match(form.text, /<input type="hidden" name="next" value="\/"/, JSON.stringify(next));
    }
    // The exact request of the report: /login?next=/%09/evil.com.
    const reported = await dash.request('GET', '/login?next=/%09/evil.com', { as: admin });
    assert.equal(reported.headers.get('location'), '/');
  });

  it('keeps same-origin paths with their query and fragment', async () => {
    for (const next of [
      '/agents',
      '/requests/perm_abcdefghijklmnop',
      '/audit?event=user.login&page=2',
      '/#x',
    ]) {
      const res = await dash.request('POST', '/login', {
        form: { name: 'admin', password: ADMIN_PASSWORD, next },
      });
      assert.equal(res.headers.get('location'), next);
    }
  });
});
