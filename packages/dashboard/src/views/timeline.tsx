import type { AuditEntry } from '@agent-otp/core';
import { clampsOf, clampText } from './clamped.tsx';
import { duration } from './format.ts';
import { Time } from './parts.tsx';

export interface Names {
  agent(id: string): string;
  user(id: string): string;
}

const str = (value: unknown) => (typeof value === 'string' ? value : null);

/** One audit entry of a permission in words: what happened and the detail an approver cares about. */
export function describe(entry: AuditEntry): { title: string; detail: string | null; kind: string } {
  const d = entry.details;
  switch (entry.event) {
    case 'permission.requested':
      return {
        title: 'Requested',
        detail: `policy: ${str(d.decision) ?? '?'}${d.rule ? ` (rule "${str(d.rule)}")` : ''}`,
        kind: 'info',
      };
    case 'approval.vote':
      return {
        title: `${str(d.user) ?? 'someone'} voted to ${str(d.decision) ?? '?'}`,
        detail:
          [
            d.ttl ? `ttl ${d.ttl}s` : null,
            d.scope ? `scope ${JSON.stringify(d.scope)}` : null,
            clampsOf(d).length > 0 ? `clamped (${clampText(clampsOf(d))})` : null,
            str(d.reason),
          ]
            .filter(Boolean)
            .join(' · ') || null,
        kind: d.decision === 'deny' ? 'bad' : 'ok',
      };
    case 'permission.approved':
      return {
        title:
          d.by === 'policy'
            ? 'Approved by policy'
            : `Approved by ${Array.isArray(d.by) ? d.by.join(', ') : str(d.by)}`,
        detail:
          [
            typeof d.ttl === 'number' ? `token lifetime ${duration(d.ttl)}` : null,
            typeof d.requestedTtl === 'number' ? `requested ${duration(d.requestedTtl)}` : null,
            d.scope ? `scope ${JSON.stringify(d.scope)}` : null,
            clampsOf(d).length > 0 ? `clamped (${clampText(clampsOf(d))})` : null,
          ]
            .filter(Boolean)
            .join(' · ') || null,
        kind: 'ok',
      };
    case 'permission.denied':
      return {
        title: d.by === 'policy' ? 'Denied by policy' : `Denied by ${str(d.by) ?? 'a user'}`,
        detail: str(d.reason),
        kind: 'bad',
      };
    case 'token.delivered':
      return { title: 'Token delivered to the agent', detail: null, kind: 'info' };
    case 'token.verified':
      return {
        title: d.valid ? 'Token verified' : 'Token verification failed',
        detail: str(d.reason),
        kind: d.valid ? 'info' : 'warn',
      };
    case 'token.used':
      return {
        title: 'Token used',
        detail: d.actionDetails ? JSON.stringify(d.actionDetails) : null,
        kind: 'ok',
      };
    case 'token.use_refused':
      return {
        title: `Use refused: ${str(d.code) ?? 'error'}`,
        detail: str(d.constraint) ?? str(d.message),
        kind: 'bad',
      };
    case 'permission.expired':
      return { title: 'Expired', detail: d.from ? `was ${str(d.from)}` : null, kind: 'warn' };
    case 'permission.cancelled':
      return { title: 'Cancelled by the agent', detail: str(d.reason), kind: 'warn' };
    case 'permission.revoked':
      return { title: 'Revoked', detail: str(d.reason), kind: 'warn' };
    default:
      return { title: entry.event, detail: null, kind: 'info' };
  }
}

export function actorName(entry: AuditEntry, names: Names): string {
  if (entry.actor.type === 'agent') return `agent ${names.agent(entry.actor.id)}`;
  if (entry.actor.type === 'user') return names.user(entry.actor.id);
  return `system (${entry.actor.id})`;
}

export function Timeline({ entries, names }: { entries: AuditEntry[]; names: Names }) {
  if (entries.length === 0) return <p class="muted">No audit entries.</p>;
  return (
    <ol class="timeline">
      {entries.map((entry) => {
        const { title, detail, kind } = describe(entry);
        return (
          <li class={`tl-${kind}`}>
            <div class="tl-head">
              <strong>{title}</strong>
              <span class="muted small">
                <Time ms={entry.at} /> · {actorName(entry, names)}
              </span>
            </div>
            {detail ? <div class="tl-detail small mono">{detail}</div> : null}
          </li>
        );
      })}
    </ol>
  );
}
