import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

const POLICY = `
- name: "Big transfers denied"
  conditions: { action: { equals: "bank.transfer" }, context.amount: { greaterThan: 1000 } }
  action: deny
  priority: 10
- name: "Odd amounts held"
  conditions: { action: { equals: "bank.pay" }, context.amount: { lessThan: 0 } }
  action: require_approval
  priority: 10
- name: "Banking approved"
  conditions: { action: { startsWith: "bank." } }
  action: auto_approve
- name: "Tickets approved"
  conditions: { action: { equals: "ops.run" }, context.ticket: { matches: "OPS-" } }
  action: auto_approve
`;

describe('finding 6: the policy simulator and the inbox show a rule that could not compare a value', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime({ policy: POLICY });
  });
  after(() => dash.close());

  it('names the rule and the value in the simulation', async () => {
    const viewer = await dash.user('vic', 'viewer');
    const sim = await dash.request('POST', '/policies/simulate', {
      as: viewer,
      form: {
        _csrf: viewer.csrf,
        request: JSON.stringify({ action: 'bank.transfer', context: { amount: '5000' } }),
      },
    });
    assert.equal(sim.status, 200);
    assert.match(sim.text, /Decision: <span class="badge badge-deny">deny<\/span>/);
    assert.match(sim.text, /by rule “Big transfers denied”/);
    assert.match(sim.text, /could not compare a value of the request, so it applied: context\.amount: /);
    assert.match(sim.text, /could not compare: context\.amount: (&quot;|")5000(&quot;|") is not a number/);
  });

  it('finding 4: lists the policy warnings on the policies page', async () => {
    const viewer = await dash.user('wes', 'viewer');
    const page = await dash.request('GET', '/policies', { as: viewer });
    assert.equal(page.status, 200);
    assert.match(
      page.text,
      /rule “Tickets approved” \(line 13\): matches (&quot;|")OPS-(&quot;|") is not anchored/,
    );
    assert.match(
      page.text,
      /rule “Tickets approved” \(line 13\): auto-approves on agent-supplied context\.ticket/,
    );
  });

  it('shows approvers why a request was held', async () => {
    const { agent } = await dash.agent('payer');
    await dash.runtime.permissions.request(agent, { action: 'bank.pay', context: { amount: ['-1'] } });
    const approver = await dash.user('ann', 'approver');
    const inbox = await dash.request('GET', '/', { as: approver });
    assert.match(
      inbox.text,
      /held for approval: context\.amount: \[(&quot;|")-1(&quot;|")\] is not a number/,
    );
  });
});
