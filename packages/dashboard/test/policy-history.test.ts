import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BANK_POLICY, createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

const EDITED = BANK_POLICY.replace('approvalTimeout: 600', 'approvalTimeout: 300');

describe('policies page: editing and history', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  const versionsListed = (html: string) =>
    [...html.matchAll(/data-version="(pol_[0-9a-f]{16})"/g)].map((m) => m[1]);

  it('an admin saves an edit (CRLF from the browser kept as LF): in force, on file, first in the history', async () => {
    const admin = await dash.loginAdmin();
    const start = dash.runtime.policy.current().version;
    const form = await dash.request('GET', '/policies', { as: admin });
    assert.match(form.text, /action="\/policies\/edit"/);
    assert.deepEqual(versionsListed(form.text), [start]);
    dash.clock.advance(1000);
    const saved = await dash.request('POST', '/policies/edit', {
      as: admin,
      form: { _csrf: admin.csrf, base: start, source: EDITED.replace(/\n/g, '\r\n') },
    });
    assert.equal(saved.status, 303);
    const version = dash.runtime.policy.current().version;
    assert.notEqual(version, start);
    assert.equal(saved.headers.get('location'), `/policies?saved=${version}#history`);
    assert.equal(readFileSync(dash.runtime.config.policyFile, 'utf8'), EDITED);
    const page = await dash.request('GET', `/policies?saved=${version}`, { as: admin });
    assert.match(page.text, new RegExp(`Saved: ${version} is in force`));
    assert.deepEqual(versionsListed(page.text), [version, start]);
    assert.match(page.text, /a dashboard edit by admin/);
    assert.match(page.text, /<del class="diff-line diff-remove">- {3}approvalTimeout: 600<\/del>/);
    assert.match(page.text, /<ins class="diff-line diff-add">\+ {3}approvalTimeout: 300<\/ins>/);
    assert.match(page.text, /Changes from [^:]+: \+1 −1 lines/);
  });

  it('a refused edit keeps the version in force, shows why, and is not a version', async () => {
    const admin = await dash.loginAdmin();
    const running = dash.runtime.policy.current().version;
    const refused = await dash.request('POST', '/policies/edit', {
      as: admin,
      form: {
        _csrf: admin.csrf,
        base: running,
        source: '- name: bad\n  conditions: {}\n  action: perhaps\n',
      },
    });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /Your edit was refused and is not in force/);
    assert.match(refused.text, /action: perhaps/, 'the text typed is kept for fixing');
    assert.equal(dash.runtime.policy.current().version, running);
    assert.equal(versionsListed(refused.text).length, 2);
    // An edit made on a page opened before another edit is refused, not silently undoing it.
    const stale = await dash.request('POST', '/policies/edit', {
      as: admin,
      form: { _csrf: admin.csrf, base: 'pol_0000000000000000', source: BANK_POLICY },
    });
    assert.equal(stale.status, 400);
    assert.match(stale.text, /reload the page/);
    assert.equal(dash.runtime.policy.current().version, running);
  });

  it('viewers see the history but cannot edit; no CSRF token, no edit', async () => {
    const viewer = await dash.user('vic', 'viewer');
    const page = await dash.request('GET', '/policies', { as: viewer });
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /action="\/policies\/edit"/);
    assert.equal(versionsListed(page.text).length, 2);
    const running = dash.runtime.policy.current().version;
    const forbidden = await dash.request('POST', '/policies/edit', {
      as: viewer,
      form: { _csrf: viewer.csrf, base: running, source: BANK_POLICY },
    });
    assert.equal(forbidden.status, 403);
    const admin = await dash.loginAdmin();
    const forged = await dash.request('POST', '/policies/edit', {
      as: admin,
      form: { base: running, source: BANK_POLICY },
    });
    assert.equal(forged.status, 403);
    assert.equal(dash.runtime.policy.current().version, running);
  });

  it("a version's page: its facts, its diff, its source; unknown 404, malformed 400", async () => {
    const viewer = await dash.user('val', 'viewer');
    const [newest, oldest] = (await dash.runtime.store.listPolicyVersions({ limit: 5 })).items;
    const page = await dash.request('GET', `/policies/versions/${newest?.version}`, { as: viewer });
    assert.equal(page.status, 200);
    assert.match(page.text, new RegExp(`Changes from ${oldest?.version}`));
    assert.match(page.text, /approvalTimeout: 300/);
    assert.match(page.text, /in force/);
    const first = await dash.request('GET', `/policies/versions/${oldest?.version}`, { as: viewer });
    assert.match(first.text, /first version recorded/);
    assert.equal(
      (await dash.request('GET', '/policies/versions/pol_0123456789abcdef', { as: viewer })).status,
      404,
    );
    assert.equal((await dash.request('GET', '/policies/versions/pol_nope', { as: viewer })).status, 400);
    const badFrom = await dash.request('GET', `/policies/versions/${newest?.version}?from=x`, { as: viewer });
    assert.equal(badFrom.status, 400);
  });

  it("a permission's detail page links to the policy version it was decided by", async () => {
    const admin = await dash.loginAdmin();
    const { agent } = await dash.agent('linker');
    const { permission } = await dash.ask(agent);
    const page = await dash.request('GET', `/requests/${permission.id}`, { as: admin });
    assert.equal(page.status, 200);
    assert.match(page.text, new RegExp(`href="/policies/versions/${permission.policyVersion}"`));
  });
});
