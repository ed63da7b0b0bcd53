import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

// Saying each thing once: the action on the detail page, the scope when nothing was narrowed,
// the user's role only when it is not already their name.

describe('dashboard says each thing once', () => {
  let dash: DashboardRuntime;
  let agent: Awaited<ReturnType<DashboardRuntime['agent']>>['agent'];
  before(async () => {
    dash = await createDashboardRuntime();
    agent = (await dash.agent('payments-bot')).agent;
  });
  after(() => dash.close());

  const main = (html: string) => html.slice(html.indexOf('<main'), html.indexOf('</main>'));
  const whoami = (html: string) => /<form[^>]*class="whoami"[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1] ?? '';
  const headings = (html: string) => [...html.matchAll(/<h3>([^<]*)<\/h3>/g)].map((m) => m[1]);

  it('the top bar gives the role only when it differs from the name', async () => {
    const admin = await dash.loginAdmin();
    const own = whoami((await dash.request('GET', '/', { as: admin })).text);
    assert.match(own, />\s*admin\s*</);
    assert.doesNotMatch(own, /admin · admin|badge-role/);

    const alice = await dash.user('alice', 'approver');
    const hers = whoami((await dash.request('GET', '/', { as: alice })).text);
    assert.match(hers, /alice<span class="badge badge-role">approver<\/span>/);
  });

  it('the detail page names the action once, with the agent', async () => {
    const { permission } = await dash.ask(agent);
    const admin = await dash.loginAdmin();
    const page = await dash.request('GET', `/requests/${permission.id}`, { as: admin });
    assert.equal(page.status, 200);
    const body = main(page.text);
    assert.equal(body.split('bank.transfer').length - 1, 1, 'the action appears once');
    assert.match(
      body,
      /<h1><span class="mono">bank.transfer<\/span> <span class="muted">by<\/span> payments-bot<\/h1>/,
    );
    assert.match(body, /data-deadline=/, 'the deadline is still there');
  });

  it('a narrowed scope shows requested and granted; an unnarrowed one a single Scope box', async () => {
    const admin = await dash.loginAdmin();
    const { permission: narrowed } = await dash.ask(agent); // 1000 asked, the rule caps at 500
    const both = await dash.request('GET', `/requests/${narrowed.id}`, { as: admin });
    assert.deepEqual(headings(main(both.text)), ['Requested scope', 'Scope to be granted']);

    const { permission: same } = await dash.runtime.permissions.request(agent, {
      action: 'bank.transfer',
      scope: { max_amount: 100, currency: 'EUR' },
    });
    const one = await dash.request('GET', `/requests/${same.id}`, { as: admin });
    assert.deepEqual(headings(main(one.text)), ['Scope']);
    assert.match(main(one.text), /grants it as requested/);

    // Decided: still one box, not the scope again under the outcome.
    await dash.request('POST', `/requests/${same.id}/approve`, { as: admin, form: { _csrf: admin.csrf } });
    const decided = await dash.request('GET', `/requests/${same.id}`, { as: admin });
    assert.deepEqual(headings(main(decided.text)), ['Scope']);
    assert.match(main(decided.text), /Granted as requested/);
  });
});
