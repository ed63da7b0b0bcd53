import type { Runtime } from '@agent-otp/server';

/**
 * A policy with each risk level: payroll transfers are high risk, card purchases low, outbound
 * email medium; other bank actions are denied and file reads auto-approved.
 */
export const SAMPLE_POLICY = `
- name: "Payroll transfers"
  description: "money leaving the payroll account"
  conditions: { action: { equals: "bank.transfer" }, resource: { startsWith: "account:acme-payroll" } }
  action: require_approval
  priority: 200
  approvalTimeout: 1800
  risk: high
- name: "Card purchases"
  conditions: { action: { equals: "card.purchase" } }
  action: require_approval
  approvalTimeout: 3600
  risk: low
- name: "Outbound email"
  conditions: { action: { equals: "email.send" } }
  action: require_approval
  approvalTimeout: 900
  risk: medium
- name: "File reads are fine"
  conditions: { action: { equals: "file.read" } }
  action: auto_approve
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

const SYSTEM = { type: 'system', id: 'sample' } as const;

/**
 * Agents, users and requests in every state, made through the runtime's services (so the audit
 * log and the live inbox see them as they would in production). `decided` adds that many
 * denied requests, one a second apart, for paging.
 */
export async function addSampleData(runtime: Runtime, options: { decided?: number } = {}) {
  const { agents, permissions, approvals, users } = runtime;
  const invoiceBot = (await agents.create('invoice-bot', SYSTEM)).agent;
  const officeBot = (await agents.create('office-assistant', SYSTEM)).agent;
  const mailer = (await agents.create('newsletter-mailer', SYSTEM)).agent;
  const reporter = (await agents.create('report-builder', SYSTEM)).agent;
  await users.create({ name: 'maria', role: 'approver', password: 'maria-password-123' }, SYSTEM);
  await users.create({ name: 'viktor', role: 'viewer', password: 'viktor-password-123' }, SYSTEM);
  const admin = (await users.list()).find((u) => u.role === 'admin');
  if (!admin) throw new Error('the sample needs the admin user');

  const payroll = await permissions.request(invoiceBot, {
    action: 'bank.transfer',
    resource: 'account:acme-payroll',
    scope: { max_amount: 250000, currency: 'EUR', allowed_recipients: ['DE89 3704 0044 0532 0130 00'] },
    context: { reason: 'November payroll run, 42 employees' },
  });
  const coffee = await permissions.request(officeBot, {
    action: 'card.purchase',
    resource: 'card:office-visa',
    scope: { max_amount: 5, currency: 'USD' },
    context: { reason: 'Coffee for the 10:00 meeting' },
  });
  const newsletter = await permissions.request(mailer, {
    action: 'email.send',
    resource: 'list:customers',
    scope: { max_emails: 3, allowed_recipients: ['ana@example.com', 'bo@example.com', 'cy@example.com'] },
    context: { reason: 'Weekly product update' },
  });
  for (let i = 0; i < 3; i++) {
    await permissions.request(reporter, {
      action: 'file.read',
      resource: `file:/srv/reports/q${i + 1}.csv`,
      scope: { max_size: 1048576, allowed_extensions: ['.csv'] },
      context: {},
    });
  }
  const decidedIds: string[] = [];
  for (let i = 0; i < (options.decided ?? 0); i++) {
    const outcome = await permissions.request(invoiceBot, {
      action: 'bank.withdraw',
      resource: `account:acme-ops-${i}`,
      scope: { max_amount: 100 * (i + 1), currency: 'EUR' },
      context: { reason: `Petty cash ${i}` },
    });
    decidedIds.push(outcome.permission.id);
  }
  // A decided request with a vote, for the detail page's timeline.
  const refund = await permissions.request(officeBot, {
    action: 'card.purchase',
    resource: 'card:office-visa',
    scope: { max_amount: 120, currency: 'USD' },
    context: { reason: 'Team lunch' },
  });
  await approvals.approve(admin, refund.permission.id, {});
  return {
    admin,
    agents: { invoiceBot, officeBot, mailer, reporter },
    pending: {
      payroll: payroll.permission.id,
      coffee: coffee.permission.id,
      newsletter: newsletter.permission.id,
    },
    approved: refund.permission.id,
    decidedIds,
  };
}
