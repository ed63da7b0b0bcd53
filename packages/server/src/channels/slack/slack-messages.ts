import type { Permission } from '@agent-otp/core';

/** Slack's Block Kit, as much of it as the approval message uses. */
type Block = Record<string, unknown>;

const clip = (text: string, max = 2900) => (text.length > max ? `${text.slice(0, max)}…` : text);
const code = (value: unknown) => `\`\`\`${clip(JSON.stringify(value, null, 2), 1200)}\`\`\``;

function facts(p: Permission, agentName: string): string {
  const lines = [
    `*Agent:* ${agentName}`,
    `*Action:* \`${p.action}\``,
    ...(p.resource ? [`*Resource:* \`${p.resource}\``] : []),
    `*Rule:* ${p.policyRule ?? '—'}${p.approvalsRequired > 1 ? ` (needs ${p.approvalsRequired} approvers)` : ''}`,
  ];
  return lines.join('\n');
}

/** The message for a pending request: the full request and ✅ Approve / ❌ Deny buttons. */
export function pendingMessage(p: Permission, agentName: string, approvalUrl: string) {
  const deadline = Math.floor(p.expiresAt / 1000);
  const blocks: Block[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*Approval requested* · <${approvalUrl}|open in the dashboard>` },
    },
    { type: 'section', text: { type: 'mrkdwn', text: facts(p, agentName) } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*Scope*\n${code(p.grantedScope ?? p.requestedScope)}` },
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Context*\n${code(p.context)}` } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Decide by <!date^${deadline}^{date_short_pretty} {time}|${new Date(p.expiresAt).toISOString()}>`,
        },
      ],
    },
    {
      type: 'actions',
      block_id: `decide:${p.id}`,
      elements: [
        {
          type: 'button',
          action_id: 'approve',
          style: 'primary',
          text: { type: 'plain_text', text: '✅ Approve' },
          value: p.id,
        },
        {
          type: 'button',
          action_id: 'deny',
          style: 'danger',
          text: { type: 'plain_text', text: '❌ Deny' },
          value: p.id,
        },
      ],
    },
  ];
  return {
    text: `Approval requested: ${agentName} wants ${p.action}${p.resource ? ` on ${p.resource}` : ''}`,
    blocks,
  };
}

const OUTCOME_WORDS: Record<string, string> = {
  approved: '✅ Approved',
  denied: '❌ Denied',
  expired: '⌛ Expired',
  cancelled: '🚫 Cancelled by the agent',
  revoked: '🚫 Revoked',
  used: '✅ Approved (token used)',
};

/** The same message once decided: the outcome instead of the buttons. */
export function outcomeMessage(p: Permission, agentName: string) {
  const outcome = OUTCOME_WORDS[p.status] ?? p.status;
  const reason = p.status === 'denied' && p.reason ? ` — ${p.reason}` : '';
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: facts(p, agentName) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: clip(`*${outcome}*${reason}`) }] },
  ];
  return { text: `${outcome}: ${agentName} · ${p.action}`, blocks };
}
