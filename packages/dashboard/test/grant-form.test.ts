import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Agent, Permission } from '@agent-otp/core';
import { inputNumber, parseNumber } from '../src/views/grant-rows.ts';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

/** The template narrows the amount below what agents ask, so "requested" and "allowed" differ. */
const GRANT_POLICY = `
- name: "Payroll is high risk"
  conditions: { action: { equals: "bank.transfer" }, resource: { startsWith: "account:payroll" } }
  action: require_approval
  priority: 200
  approvalTimeout: 600
  scopeTemplate: { max_amount: 25000, max_uses: 5 }
  risk: high
- name: "Transfers need a human"
  conditions: { action: { equals: "bank.transfer" } }
  action: require_approval
  approvalTimeout: 600
  scopeTemplate: { max_amount: 25000, max_uses: 5 }
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

const SCOPE = {
  max_amount: 50000,
  min_amount: 10,
  max_uses: 3,
  currency: 'EUR',
  allowed_recipients: ['DE01', 'DE02', 'DE03'],
  memo_pattern: '^INV-',
  routing: { bank: 'acme' },
};

/** The approve form exactly as the page prefills it: what a browser posts when nothing is touched. */
const untouched = (csrf: string) => ({
  _csrf: csrf,
  back: 'detail',
  'g.max_amount': '25,000',
  'g.min_amount': '10',
  'g.max_uses': '3',
  'g.allowed_recipients': ['', '0', '1', '2'],
  'g.memo_pattern': '',
  ttl: '600',
  reason: '',
});

describe('the per-constraint approve form', () => {
  let dash: DashboardRuntime;
  let agent: Agent;
  let admin: Awaited<ReturnType<DashboardRuntime['loginAdmin']>>;
  before(async () => {
    dash = await createDashboardRuntime({ policy: GRANT_POLICY });
    agent = (await dash.agent('treasury-bot')).agent;
    admin = await dash.loginAdmin();
  });
  after(() => dash.close());

  const pending = async (resource = 'account:ops') => {
    const outcome = await dash.runtime.permissions.request(agent, {
      action: 'bank.transfer',
      resource,
      scope: SCOPE,
      context: { reason: 'supplier run' },
      ttl: 600,
    });
    assert.equal(outcome.status, 'pending');
    return outcome.permission.id;
  };
  const stored = async (id: string) => (await dash.runtime.store.getPermission(id)) as Permission;
  const approve = (id: string, form: Record<string, string | string[]>) =>
    dash.request('POST', `/requests/${id}/approve`, { as: admin, form });

  it('shows one row per constraint, requested → granted, prefilled with what may be granted', async () => {
    const id = await pending();
    const page = (await dash.request('GET', `/requests/${id}`, { as: admin })).text;
    assert.match(page, /requested <strong>50,000<\/strong> · policy allows <strong>25,000<\/strong>/);
    assert.match(page, /name="g.max_amount" value="25,000"/);
    assert.match(page, /data-limit-message="cannot exceed 25,000, the most the policy allows"/);
    assert.match(
      page,
      /name="g.min_amount" value="10"[^>]*data-limit-message="cannot be below the requested 10"/,
    );
    assert.match(page, /name="g.max_uses" value="3"[^>]*data-limit-message="cannot exceed the requested 3"/);
    for (const [i, who] of ['DE01', 'DE02', 'DE03'].entries()) {
      assert.match(
        page,
        new RegExp(`name="g.allowed_recipients" value="${i}" checked=""[^>]*/> <span class="mono">${who}`),
      );
    }
    assert.match(page, /name="g.memo_pattern" value=""/);
    // Constraints the server does not interpret are shown, granted as they are.
    assert.match(page, /data-control="fixed" data-key="routing"/);
    assert.match(page, /data-control="fixed" data-key="currency"/);
    assert.match(page, /name="ttl" value="600"[^>]*data-limit="600"/);
    assert.match(page, /<textarea name="scope"/, 'the advanced JSON edit is still there');
  });

  it('treats the untouched form as no narrowing at all', async () => {
    const id = await pending();
    const res = await approve(id, untouched(admin.csrf));
    assert.equal(res.status, 303);
    const p = await stored(id);
    assert.equal(p.status, 'approved');
    assert.deepEqual(p.grantedScope, { ...SCOPE, max_amount: 25000 });
    const [vote] = await dash.runtime.store.listApprovalVotes(id);
    assert.equal(vote?.scope, null);
    assert.equal(vote?.ttlSeconds, null);
  });

  it('grants each narrowed value: lower maximum, raised minimum, fewer uses and recipients, one more pattern, shorter ttl', async () => {
    const id = await pending();
    const res = await approve(id, {
      ...untouched(admin.csrf),
      'g.max_amount': '10 000',
      'g.min_amount': '100',
      'g.max_uses': '1',
      'g.allowed_recipients': ['', '0', '2'],
      'g.memo_pattern': '-42$',
      ttl: '120',
    });
    assert.equal(res.status, 303);
    const p = await stored(id);
    assert.deepEqual(p.grantedScope, {
      ...SCOPE,
      max_amount: 10000,
      min_amount: 100,
      max_uses: 1,
      allowed_recipients: ['DE01', 'DE03'],
      memo_pattern: ['^INV-', '-42$'],
    });
    assert.equal(p.usesRemaining, 1);
    assert.equal(p.expiresAt, dash.clock.now() + 120_000);
    const detail = await dash.request('GET', `/requests/${id}?approved=1`, { as: admin });
    assert.doesNotMatch(detail.text, /asked for more than the request allows/, 'nothing was clamped');
  });

  it('clamps a wider value and says so', async () => {
    const id = await pending();
    const res = await approve(id, { ...untouched(admin.csrf), 'g.max_amount': '90,000', 'g.max_uses': '9' });
    assert.equal(res.status, 303);
    const p = await stored(id);
    assert.equal(p.grantedScope?.max_amount, 25000);
    assert.equal(p.grantedScope?.max_uses, 3);
    const detail = await dash.request('GET', `/requests/${id}?approved=1`, { as: admin });
    assert.match(detail.text, /max_amount: asked 90000, granted 25000/);
    assert.match(detail.text, /max_uses: asked 9, granted 3/);
  });

  const refusals: Array<[string, Record<string, string | string[]>, RegExp, string]> = [
    [
      'a word for an amount',
      { 'g.max_amount': 'lots' },
      /max_amount: &quot;lots&quot; is not a number/,
      'g.max_amount',
    ],
    [
      'a comma as decimal mark',
      { 'g.max_amount': '2,5' },
      /max_amount: &quot;2,5&quot; is not a number/,
      'g.max_amount',
    ],
    [
      'a negative amount',
      { 'g.max_amount': '-5' },
      /max_amount: &quot;-5&quot; is not a number/,
      'g.max_amount',
    ],
    [
      'a fraction of a use',
      { 'g.max_uses': '1.5' },
      /max_uses: must be a whole number of at least 1/,
      'g.max_uses',
    ],
    ['unlimited uses', { 'g.max_uses': 'unlimited' }, /only a policy can grant unlimited uses/, 'g.max_uses'],
    [
      'no recipient left',
      { 'g.allowed_recipients': [''] },
      /keep at least one entry ticked/,
      'g.allowed_recipients',
    ],
    [
      'a recipient not asked for',
      { 'g.allowed_recipients': ['', '7'] },
      /not one of the requested values/,
      'g.allowed_recipients',
    ],
    ['a longer lifetime', { ttl: '900' }, /ttl may only shorten the lifetime: 30..600 seconds/, 'ttl'],
    ['a lifetime that is not a number', { ttl: 'soon' }, /ttl must be a whole number from 30 to 3600/, 'ttl'],
    ['a pattern that does not compile', { 'g.memo_pattern': '(' }, /scope is invalid/, 'g.memo_pattern'],
  ];
  for (const [what, change, message, field] of refusals) {
    it(`refuses ${what} with a clear error, keeps what was typed, records nothing`, async () => {
      const id = await pending();
      const form = {
        ...untouched(admin.csrf),
        'g.allowed_recipients': ['', '0', '2'],
        reason: 'checked twice',
        ...change,
      };
      const res = await approve(id, form);
      assert.equal(res.status, 400, `${what}: ${res.status}`);
      assert.match(res.text, message);
      assert.match(res.text, /class="alert alert-error"/);
      assert.match(res.text, /value="checked twice"/, 'the note is kept');
      if (!('g.allowed_recipients' in change)) {
        // The unticked recipient stays unticked.
        assert.match(res.text, /name="g.allowed_recipients" value="1"\s*\/>/);
      }
      const changed = Object.keys(change)[0] as string;
      if (changed.startsWith('g.') && !Array.isArray(change[changed])) {
        assert.match(
          res.text,
          new RegExp(
            `name="${changed}" value="${String(change[changed]).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`,
          ),
        );
      }
      assert.match(
        res.text,
        new RegExp(`(name|data-field)="${field}"[^>]*aria-invalid="true"`),
        `${field} is marked`,
      );
      assert.equal((await stored(id)).status, 'pending');
      assert.deepEqual(await dash.runtime.store.listApprovalVotes(id), []);
    });
  }

  it('marks the field at fault', async () => {
    const id = await pending();
    const res = await approve(id, { ...untouched(admin.csrf), 'g.max_amount': 'lots' });
    assert.match(res.text, /name="g.max_amount" value="lots"[^>]*aria-invalid="true"/);
    assert.match(
      res.text,
      /<p class="grant-error" id="[^"]+-error" aria-live="polite">max_amount: &quot;lots&quot; is not a number/,
    );
  });

  it('carries every field, ticked boxes included, through the high-risk confirmation', async () => {
    const id = await pending('account:payroll');
    const form = { ...untouched(admin.csrf), 'g.max_amount': '5,000', 'g.allowed_recipients': ['', '1'] };
    const step = await approve(id, form);
    assert.equal(step.status, 200);
    assert.match(step.text, /Confirm a high-risk approval/);
    assert.match(step.text, /with the scope you narrowed/);
    assert.match(step.text, /name="g.allowed_recipients" value=""/);
    assert.match(step.text, /name="g.allowed_recipients" value="1"/);
    assert.doesNotMatch(step.text, /name="g.allowed_recipients" value="0"/);
    const done = await approve(id, { ...form, confirm: 'high-risk' });
    assert.equal(done.status, 303);
    const p = await stored(id);
    assert.equal(p.status, 'approved');
    assert.equal(p.grantedScope?.max_amount, 5000);
    assert.deepEqual(p.grantedScope?.allowed_recipients, ['DE02']);
  });
});

describe('reading an approver number', () => {
  it('takes plain, grouped and spaced numbers, and refuses what it would have to guess', () => {
    const cases: Array<[string, number | null]> = [
      ['25000', 25000],
      ['25,000', 25000],
      ['1,234,567.5', 1234567.5],
      ['25 000', 25000],
      ['2.5', 2.5],
      ['0', 0],
      ['2,5', null],
      ['25,00', null],
      ['-5', null],
      ['', null],
      ['1e3', 1000],
      ['Infinity', null],
      ['0x10', null],
    ];
    for (const [text, expected] of cases) assert.equal(parseNumber(text), expected, text);
  });

  it('prefills a number so that it reads back exactly', () => {
    for (const n of [25000, 0.5, 1e-7, 123456789.123456, 1e21]) {
      const shown = inputNumber(n);
      assert.equal(parseNumber(shown), n, `${n} shown as ${shown}`);
    }
  });
});
