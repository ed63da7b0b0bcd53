import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

describe('a refused policy edit on the policies page', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  it('says the running version is fine and the edit was refused, never "broken" beside it', async () => {
    const admin = await dash.loginAdmin();
    const running = dash.runtime.policy.current().version;
    const fine = await dash.request('GET', '/policies', { as: admin });
    assert.match(fine.text, /The file is valid/);

    writeFileSync(dash.runtime.config.policyFile, '- name: "x"\n  conditions: {}\n  action: approve\n');
    assert.equal(dash.runtime.policy.reload().ok, false);
    const page = await dash.request('GET', '/policies', { as: admin });
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /broken/i);
    assert.match(page.text, new RegExp(`The running policy is fine: 3 rules in force \\(${running}\\)`));
    assert.match(page.text, /Your last edit of the file was refused/);
    assert.match(page.text, /&quot;action&quot; must be one of|"action" must be one of/);
    assert.match(page.text, /the refused edit, not in force/);
  });
});
