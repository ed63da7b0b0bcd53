import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Agent, Permission } from '@agent-otp/core';
import { summarize } from '../src/views/summary.ts';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

export const RISK_POLICY = `
- name: "Payroll is high risk"
  conditions: { action: { equals: "bank.transfer" }, resource: { startsWith: "account:acme-payroll" } }
  action: require_approval
  priority: 200
  approvalTimeout: 300
  risk: high
- name: "Coffee is low risk"
  conditions: { action: { equals: "card.purchase" } }
  action: require_approval
  approvalTimeout: 900
  risk: low
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

const plain = (html: string) => html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe('risk is visible', () => {
  let dash: DashboardRuntime;
  let agent: Agent;
  before(async () => {
    dash = await createDashboardRuntime({ policy: RISK_POLICY });
    agent = (await dash.agent('invoice-bot')).agent;
  });
  after(() => dash.close());

  const payroll = async () => {
    const outcome = await dash.runtime.permissions.request(agent, {
      action: 'bank.transfer',
      resource: 'account:acme-payroll',
      scope: { max_amount: 250000, currency: 'EUR', allowed_recipients: ['DE89 3704 0044'] },
      context: { reason: 'Monthly payroll' },
    });
    assert.equal(outcome.status, 'pending');
    return outcome.permission.id;
  };
  const coffee = async () => {
    const outcome = await dash.runtime.permissions.request(agent, {
      action: 'card.purchase',
      resource: 'card:office',
      scope: { max_amount: 5, currency: 'USD' },
      context: {},
    });
    assert.equal(outcome.status, 'pending');
    return outcome.permission.id;
  };

  it('says in plain words what each request does, with its risk, soonest deadline first', async () => {
    const big = await payroll();
    const small = await coffee();
    const admin = await dash.loginAdmin();
    const inbox = await dash.request('GET', '/', { as: admin });
    const text = plain(inbox.text);
    assert.match(
      text,
      /invoice-bot wants to transfer up to 250,000 EUR to DE89 3704 0044 from account:acme-payroll/,
    );
    assert.match(text, /invoice-bot wants to purchase up to 5 USD on card:office/);
    assert.match(inbox.text, /<strong class="hl hl-amount">250,000 EUR<\/strong>/);
    assert.match(inbox.text, new RegExp(`id="req-${big}"[^>]*data-risk="high"`));
    assert.match(inbox.text, new RegExp(`id="req-${small}"[^>]*data-risk="low"`));
    assert.match(text, /high risk/);
    // The payroll request was made first but expires first (300 s against 900 s).
    assert.ok(inbox.text.indexOf(`req-${big}`) < inbox.text.indexOf(`req-${small}`), 'deadline order');
    const detail = plain((await dash.request('GET', `/requests/${big}`, { as: admin })).text);
    assert.match(detail, /wants to transfer up to 250,000 EUR/);
    assert.match(detail, /Payroll is high risk high risk/);
  });

  it('sorts by deadline, not by arrival', async () => {
    const admin = await dash.loginAdmin();
    const first = await coffee();
    dash.clock.advance(1000);
    const second = await payroll();
    const inbox = (await dash.request('GET', '/inbox', { as: admin })).text;
    assert.ok(inbox.indexOf(`req-${second}`) < inbox.indexOf(`req-${first}`));
  });

  it('asks for an explicit confirmation before a high-risk approval, keeping what was narrowed', async () => {
    const id = await payroll();
    const admin = await dash.loginAdmin();
    const form = { _csrf: admin.csrf, back: 'detail', ttl: '120', scope: '', reason: 'checked the run' };
    const step = await dash.request('POST', `/requests/${id}/approve`, { as: admin, form });
    assert.equal(step.status, 200);
    assert.match(step.text, /Confirm a high-risk approval/);
    assert.match(step.text, /name="confirm" value="high-risk"/);
    assert.match(step.text, /name="ttl" value="120"/);
    assert.equal((await dash.runtime.store.getPermission(id))?.status, 'pending', 'not approved yet');

    const done = await dash.request('POST', `/requests/${id}/approve`, {
      as: admin,
      form: { ...form, confirm: 'high-risk' },
    });
    assert.equal(done.status, 303);
    const approved = (await dash.runtime.store.getPermission(id)) as Permission;
    assert.equal(approved.status, 'approved');
    assert.equal(approved.ttlSeconds, 120, 'the narrowed lifetime survived the confirmation step');
  });

  it('approves a low-risk request in one step', async () => {
    const id = await coffee();
    const admin = await dash.loginAdmin();
    const done = await dash.request('POST', `/requests/${id}/approve`, {
      as: admin,
      form: { _csrf: admin.csrf },
    });
    assert.equal(done.status, 303);
    assert.equal((await dash.runtime.store.getPermission(id))?.status, 'approved');
  });

  it('does not offer the confirmation step to a viewer', async () => {
    const id = await payroll();
    const viewer = await dash.user('vera', 'viewer');
    const refused = await dash.request('POST', `/requests/${id}/approve`, {
      as: viewer,
      form: { _csrf: viewer.csrf },
    });
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.text, /Confirm a high-risk approval/);
  });
});

describe('summarize', () => {
  const base = {
    id: 'perm_1',
    agentId: 'agt_1',
    action: 'email.send',
    resource: null,
    requestedScope: {},
    grantedScope: null,
    context: {},
  } as unknown as Permission;

  it('reads counts and recipients', () => {
    const s = summarize(
      {
        ...base,
        grantedScope: { max_emails: 3, allowed_recipients: ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com'] },
      },
      'mailer',
    );
    const line = s.pieces.map((p) => (typeof p === 'string' ? p : p.text)).join('');
    assert.equal(line, 'mailer wants to send up to 3 emails to a@x.com, b@x.com, c@x.com and 1 more');
    assert.deepEqual(
      s.highlights.map((h) => h.kind),
      ['count', 'recipient'],
    );
  });

  it('falls back to the action when it does not read as a verb', () => {
    const s = summarize({ ...base, action: 'x.42', resource: 'db:main' }, 'bot');
    const line = s.pieces.map((p) => (typeof p === 'string' ? p : p.text)).join('');
    assert.equal(line, 'bot wants to perform x.42 on db:main');
  });

  it('takes an amount from the context when the scope has no maximum', () => {
    const s = summarize({ ...base, action: 'bank.pay', context: { amount: 1234.5, currency: 'gbp' } }, 'b');
    const line = s.pieces.map((p) => (typeof p === 'string' ? p : p.text)).join('');
    assert.equal(line, 'b wants to pay 1,234.5 GBP');
  });
});
