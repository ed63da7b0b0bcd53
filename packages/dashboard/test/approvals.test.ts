import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

describe('dashboard inbox and decisions', () => {
  let dash: DashboardRuntime;
  let agent: Awaited<ReturnType<DashboardRuntime['agent']>>['agent'];
  before(async () => {
    dash = await createDashboardRuntime();
    agent = (await dash.agent('payments-bot')).agent;
  });
  after(() => dash.close());

  const pending = async () => {
    const outcome = await dash.ask(agent);
    assert.equal(outcome.status, 'pending');
    return outcome.permission.id;
  };
  const status = async (id: string) => (await dash.runtime.store.getPermission(id))?.status;

  it('shows everything an approver needs in the inbox', async () => {
    const id = await pending();
    const admin = await dash.loginAdmin();
    const page = await dash.request('GET', '/', { as: admin });
    assert.equal(page.status, 200);
    for (const text of [
      'bank.transfer',
      'payments-bot',
      'account:acme-savings',
      'Pay invoice 42 to ACME',
      'Banking needs a human',
    ]) {
      assert.ok(page.text.includes(text), `inbox shows ${text}`);
    }
    assert.match(page.text, /&quot;max_amount&quot;: 1000|"max_amount": 1000/, 'requested scope');
    assert.match(
      page.text,
      /"max_amount": 500|&quot;max_amount&quot;: 500/,
      'scope to be granted (template-narrowed)',
    );
    assert.match(page.text, /data-deadline="2026-06-01T12:10:00.000Z"/);
    assert.match(page.text, /<progress value="0" max="1">/);
    assert.match(page.text, /sse-connect="\/events\/inbox"/);
    assert.match(page.text, /hx-trigger="sse:inbox"/);
    assert.ok(page.text.includes(`action="/requests/${id}/approve"`));
    const fragment = await dash.request('GET', '/inbox', { as: admin, headers: { 'hx-request': 'true' } });
    assert.doesNotMatch(fragment.text, /<html/);
    assert.ok(fragment.text.includes(`req-${id}`));
  });

  it('refuses an approve without or with a wrong CSRF token, and the request stays pending', async () => {
    const id = await pending();
    const admin = await dash.loginAdmin();
    const missing = await dash.request('POST', `/requests/${id}/approve`, { as: admin, form: {} });
    assert.equal(missing.status, 403);
    assert.match(missing.text, /CSRF/);
    const wrong = await dash.request('POST', `/requests/${id}/approve`, {
      as: admin,
      form: { _csrf: 'x'.repeat(43) },
    });
    assert.equal(wrong.status, 403);
    const other = await dash.user('other-admin', 'admin');
    const crossed = await dash.request('POST', `/requests/${id}/approve`, {
      as: admin,
      form: { _csrf: other.csrf },
    });
    assert.equal(crossed.status, 403, "another session's token does not fit");
    assert.equal(await status(id), 'pending');
  });

  it('shows viewers the inbox without buttons and refuses their decisions', async () => {
    const id = await pending();
    const viewer = await dash.user('vera', 'viewer');
    const page = await dash.request('GET', '/', { as: viewer });
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('bank.transfer'));
    assert.doesNotMatch(page.text, /\/approve"|\/deny"/);
    assert.match(page.text, /viewers cannot approve/);
    const res = await dash.request('POST', `/requests/${id}/approve`, {
      as: viewer,
      form: { _csrf: viewer.csrf },
    });
    assert.equal(res.status, 403);
    assert.equal(await status(id), 'pending');
  });

  it('approves through the form, narrowing ttl and scope', async () => {
    const id = await pending();
    const approver = await dash.user('alice', 'approver');
    const res = await dash.request('POST', `/requests/${id}/approve`, {
      as: approver,
      form: { _csrf: approver.csrf, back: 'inbox', ttl: '60', scope: '{"max_amount": 200}', reason: 'ok' },
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/?decided=${id}`);
    const stored = await dash.runtime.store.getPermission(id);
    assert.equal(stored?.status, 'approved');
    assert.equal(stored?.grantedScope?.max_amount, 200);
    assert.equal(stored?.expiresAt, dash.clock.now() + 60_000);
    const inbox = await dash.request('GET', `/?decided=${id}`, { as: approver });
    assert.match(inbox.text, /is now <span class="badge badge-approved">approved/);
    assert.ok(!inbox.text.includes(`id="req-${id}"`), 'no longer in the inbox');
  });

  it('after approving a wider scope and a shorter ttl: a clamp notice, the granted lifetime, the timeline', async () => {
    const id = await pending(); // asks max_amount 1000, the rule narrows it to 500
    const approver = await dash.user('dora', 'approver');
    const res = await dash.request('POST', `/requests/${id}/approve`, {
      as: approver,
      form: { _csrf: approver.csrf, back: 'detail', ttl: '120', scope: '{"max_amount": 50000}' },
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/requests/${id}?approved=1`);
    assert.equal((await dash.runtime.store.getPermission(id))?.grantedScope?.max_amount, 500);
    const detail = await dash.request('GET', `/requests/${id}?approved=1`, { as: approver });
    assert.match(detail.text, /class="alert alert-warn"[^>]*>[^<]*asked for more than the request allows/);
    assert.match(detail.text, /max_amount: asked 50000, granted 500/);
    assert.match(detail.text, /<dt>Token lifetime<\/dt>\s*<dd>2m<\/dd>/);
    // The timeline shows the granted value and marks the approver's own as clamped.
    assert.match(
      detail.text,
      /scope \{[^}]*&quot;max_amount&quot;:500[^}]*\} · clamped \(max_amount: asked 50000, granted 500\)/,
    );
    assert.match(detail.text, /token lifetime 2m · requested 5m/);
    const plain = await dash.request('GET', `/requests/${id}`, { as: approver });
    assert.doesNotMatch(
      plain.text,
      /asked for more than the request allows/,
      'the notice follows the decision only',
    );
    const inbox = await dash.request('GET', `/?decided=${id}`, { as: approver });
    assert.match(inbox.text, /max_amount: asked 50000, granted 500/);
  });

  it('sends the prefilled scope unchanged as no narrowing at all', async () => {
    const id = await pending();
    const admin = await dash.loginAdmin();
    const res = await dash.request('POST', `/requests/${id}/approve`, {
      as: admin,
      form: { _csrf: admin.csrf, scope: '{\n  "currency": "EUR", "max_amount": 500\n}' },
    });
    assert.equal(res.status, 303);
    const votes = await dash.runtime.store.listApprovalVotes(id);
    assert.equal(votes[0]?.scope, null);
  });

  it('re-renders the request with the reason when the scope JSON is bad or it is already decided', async () => {
    const id = await pending();
    const admin = await dash.loginAdmin();
    const bad = await dash.request('POST', `/requests/${id}/approve`, {
      as: admin,
      form: { _csrf: admin.csrf, scope: '{nope' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /scope is not valid JSON/);
    assert.equal(await status(id), 'pending');
    const denied = await dash.request('POST', `/requests/${id}/deny`, {
      as: admin,
      form: { _csrf: admin.csrf, back: 'detail', reason: 'not this month' },
    });
    assert.equal(denied.status, 303);
    assert.equal(denied.headers.get('location'), `/requests/${id}`);
    assert.equal(await status(id), 'denied');
    const again = await dash.request('POST', `/requests/${id}/approve`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(again.status, 409);
    assert.match(again.text, /already denied/);
  });

  it('shows the request detail with votes and a timeline from the audit log', async () => {
    const id = await pending();
    const admin = await dash.loginAdmin();
    await dash.request('POST', `/requests/${id}/approve`, { as: admin, form: { _csrf: admin.csrf } });
    await dash.runtime.permissions.get(agent, id); // the agent collects its token
    const page = await dash.request('GET', `/requests/${id}`, { as: admin });
    assert.equal(page.status, 200);
    for (const text of [
      'Requested',
      'admin voted to approve',
      'Approved by admin',
      'Token delivered to the agent',
      'agent payments-bot',
    ]) {
      assert.ok(page.text.includes(text), `timeline shows ${text}`);
    }
    assert.doesNotMatch(page.text, /otp_[A-Za-z0-9_-]{16,}/, 'never a token');
    const missing = await dash.request('GET', '/requests/perm_doesnotexist0000', { as: admin });
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /text\/html/);
  });

  it('streams an inbox event on every change', async () => {
    const admin = await dash.loginAdmin();
    const res = await dash.runtime.app.request('/events/inbox', { headers: { cookie: admin.cookie } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let seen = '';
    const read = async (until: RegExp) => {
      while (!until.test(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += decoder.decode(value);
      }
    };
    await read(/event: ready/);
    await pending();
    await read(/event: inbox/);
    assert.match(seen, /event: inbox\ndata: changed/);
    await reader.cancel();
    const anonymous = await dash.runtime.app.request('/events/inbox');
    assert.equal(anonymous.status, 401);
  });
});
