import type { Agent, ApprovalVote, Permission } from '@agent-otp/core';
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';

/**
 * The approval message, as plain text: no parse mode, so nothing an agent writes (an action, a
 * reason, a scope) can be read by Telegram as markup. Telegram allows 4096 characters.
 */
const MAX_TEXT = 4000;
const MAX_FIELD = 800;

/** Callback data: a version, the decision and the message's opaque id (never a permission id). */
export const callbackData = (decision: 'approve' | 'deny', messageId: string) =>
  `v1:${decision === 'approve' ? 'a' : 'd'}:${messageId}`;

const CALLBACK = /^v1:([ad]):([A-Za-z0-9_-]{22})$/;

export function parseCallbackData(data: string): { decision: 'approve' | 'deny'; messageId: string } | null {
  const match = CALLBACK.exec(data);
  if (!match) return null;
  return { decision: match[1] === 'a' ? 'approve' : 'deny', messageId: match[2] as string };
}

const clip = (text: string, max = MAX_FIELD) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const json = (value: unknown) => clip(JSON.stringify(value));

function deadline(ms: number, now: number): string {
  const left = Math.round((ms - now) / 60_000);
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return left > 0 ? `${iso} (in ${left} min)` : iso;
}

/** The request itself: everything the dashboard's inbox card shows. */
export function requestText(permission: Permission, agent: Agent | null, votes: ApprovalVote[], now: number) {
  const { reason, ...context } = permission.context as { reason?: unknown } & Record<string, unknown>;
  const approvals = votes.filter((v) => v.decision === 'approve');
  const lines = [
    '🔐 Permission request',
    '',
    `Agent: ${agent?.name ?? permission.agentId}`,
    `Action: ${clip(permission.action)}`,
    `Resource: ${permission.resource === null ? '—' : clip(permission.resource)}`,
    `Scope: ${json(permission.requestedScope)}`,
    `Reason: ${reason === undefined ? '—' : clip(typeof reason === 'string' ? reason : JSON.stringify(reason))}`,
    ...(Object.keys(context).length > 0 ? [`Context: ${json(context)}`] : []),
    `Rule: ${permission.policyRule ?? '—'}`,
    `Token lifetime: ${permission.ttlSeconds} s`,
    ...(permission.approvalsRequired > 1
      ? [
          `Approvals: ${approvals.length} of ${permission.approvalsRequired}` +
            (approvals.length > 0 ? ` (${approvals.map((v) => v.userName).join(', ')})` : ''),
        ]
      : []),
    `Deadline: ${deadline(permission.expiresAt, now)}`,
    `ID: ${permission.id}`,
  ];
  return lines.join('\n');
}

/** The line a decided message ends with: the outcome and who decided. */
export function outcomeText(permission: Permission, votes: ApprovalVote[]): string {
  const deny = votes.find((v) => v.decision === 'deny');
  const approvers = votes.filter((v) => v.decision === 'approve').map((v) => v.userName);
  const wasApproved =
    permission.status === 'approved' ||
    permission.status === 'used' ||
    ((permission.status === 'expired' || permission.status === 'revoked') &&
      permission.decidedAt !== null &&
      !deny);
  if (permission.status === 'denied') {
    const who = deny ? deny.userName : 'an approver';
    return `❌ Denied by ${who}${deny?.reason ? `: ${clip(deny.reason, 200)}` : ''}`;
  }
  if (wasApproved) return `✅ Approved by ${approvers.join(', ') || 'an approver'}`;
  if (permission.status === 'expired') return '⌛ Expired: no decision before the deadline';
  return '🚫 Cancelled by the agent';
}

export function decidedText(permission: Permission, agent: Agent | null, votes: ApprovalVote[], now: number) {
  return clip(`${requestText(permission, agent, votes, now)}\n\n${outcomeText(permission, votes)}`, MAX_TEXT);
}

export function pendingText(permission: Permission, agent: Agent | null, votes: ApprovalVote[], now: number) {
  return clip(requestText(permission, agent, votes, now), MAX_TEXT);
}

/**
 * Telegram refuses URL buttons to loopback and private hosts; for those the link is left out
 * (the message carries the request id, and the dashboard's inbox lists it).
 */
export function detailsUrl(publicUrl: string, permissionId: string): string | null {
  let host: string;
  try {
    host = new URL(publicUrl).hostname;
  } catch {
    return null;
  }
  const local =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|0\.)/.test(host) ||
    host === '[::1]' ||
    !host.includes('.');
  return local ? null : `${publicUrl}/requests/${permissionId}`;
}

export function keyboard(messageId: string | null, url: string | null): InlineKeyboardMarkup {
  const rows: InlineKeyboardButton[][] = [];
  if (messageId) {
    rows.push([
      { text: '✅ Approve', callback_data: callbackData('approve', messageId) },
      { text: '❌ Deny', callback_data: callbackData('deny', messageId) },
    ]);
  }
  if (url) rows.push([{ text: '🔎 Details', url }]);
  return { inline_keyboard: rows };
}
