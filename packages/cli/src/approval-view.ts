import { table } from './output.ts';

/**
 * The approval API's shapes (GET /api/v1/approvals…), as far as the CLI reads them, and their
 * human rendering. Declared here rather than imported so the HTTP commands never load the
 * server package.
 */

type JsonObject = Record<string, unknown>;

export interface ApprovalPermission {
  id: string;
  action: string;
  resource: string | null;
  status: string;
  requestedScope: JsonObject | null;
  /** While pending: the scope an approval would grant (the request narrowed by the rule). */
  scope: JsonObject | null;
  context: JsonObject | null;
  ttl: number;
  reason: string | null;
  policy: { decision: string; rule: string | null; version: string | null };
  createdAt: string;
  decidedAt: string | null;
  /** While pending: the approval deadline; once approved: the token's expiry. */
  expiresAt: string;
}

export interface Vote {
  user: string;
  decision: 'approve' | 'deny';
  scope: JsonObject | null;
  ttl: number | null;
  reason: string | null;
  at: string;
}

export interface Approval {
  permission: ApprovalPermission;
  agent: { id: string; name: string };
  votes: Vote[];
  approvalsRequired: number;
}

export interface Decision {
  outcome: 'approved' | 'denied' | 'vote_recorded';
  approval: Approval;
  /** Keys of the approver's scope edit that the grant holds stricter (an edit never widens). */
  clamped?: { key: string; asked: unknown; granted: unknown }[];
}

const quorum = (a: Approval) =>
  `${a.votes.filter((v) => v.decision === 'approve').length}/${a.approvalsRequired}`;

/** "4m 05s", "59s", "expired": how long until a time, from now. */
export function expiresIn(at: string, now = Date.now()): string {
  const seconds = Math.floor((Date.parse(at) - now) / 1000);
  if (Number.isNaN(seconds)) return '-';
  if (seconds <= 0) return 'expired';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m ${s}s` : `${seconds}s`;
}

/** "2026-11-30 00:12:03Z": an ISO time, readable in a table cell. */
const shortTime = (at: string) => at.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/**
 * Where a request stands: a countdown only while someone can still decide; a decided (or lapsed)
 * request says what happened and when, since its deadline no longer means anything.
 */
export function requestState(p: ApprovalPermission, now = Date.now()): string {
  if (p.status === 'pending') {
    const left = expiresIn(p.expiresAt, now);
    return left === 'expired' ? 'pending, past deadline' : `pending, ${left} left`;
  }
  const at = p.decidedAt ?? (p.status === 'expired' ? p.expiresAt : null);
  return at ? `${p.status} ${shortTime(at)}` : p.status;
}

const json = (value: unknown) => (value === null ? '-' : JSON.stringify(value));

export function approvalsTable(list: Approval[]): string {
  return table(
    ['ID', 'AGENT', 'ACTION', 'RESOURCE', 'QUORUM', 'STATE'],
    list.map((a) => [
      a.permission.id,
      a.agent.name,
      a.permission.action,
      a.permission.resource ?? '-',
      quorum(a),
      requestState(a.permission),
    ]),
  );
}

/** The whole request: what an approver needs to decide without opening the dashboard. */
export function approvalText(a: Approval): string {
  const p = a.permission;
  const pending = p.status === 'pending';
  const rows: [string, string][] = [
    ['request', p.id],
    ['status', p.status + (p.reason ? ` (${p.reason})` : '')],
    ['agent', `${a.agent.name} (${a.agent.id})`],
    ['action', p.action],
    ['resource', p.resource ?? '-'],
    ['context', json(p.context)],
    ['requested scope', json(p.requestedScope)],
    [pending ? 'scope to grant' : 'granted scope', json(p.scope)],
    ['token ttl', `${p.ttl} s`],
    ['policy', `${p.policy.decision}, rule ${json(p.policy.rule)}, version ${p.policy.version ?? '-'}`],
    ['quorum', `${quorum(a)} approvals`],
    ['created', p.createdAt],
    ...(p.decidedAt ? [['decided', p.decidedAt] as [string, string]] : []),
    ...expiryRow(p),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`);
  lines.push(a.votes.length === 0 ? 'votes: none yet' : 'votes:');
  for (const v of a.votes) {
    const extras = [
      v.scope ? `scope ${JSON.stringify(v.scope)}` : '',
      v.ttl ? `ttl ${v.ttl} s` : '',
      v.reason ? `reason ${JSON.stringify(v.reason)}` : '',
    ].filter(Boolean);
    lines.push(`  ${v.at}  ${v.user}  ${v.decision}${extras.length ? `  ${extras.join(', ')}` : ''}`);
  }
  return lines.join('\n');
}

/**
 * The time that still matters: the deadline while pending, the token's expiry once approved.
 * A denied or lapsed request has none worth counting down to.
 */
function expiryRow(p: ApprovalPermission): [string, string][] {
  if (p.status === 'pending') return [['deadline', `${p.expiresAt} (${expiresIn(p.expiresAt)})`]];
  if (p.status === 'approved') return [['token expires', `${p.expiresAt} (${expiresIn(p.expiresAt)})`]];
  if (p.status === 'expired' && !p.decidedAt) return [['lapsed', p.expiresAt]];
  return [];
}

/** One line per key an approver asked beyond the grant, so a clamp is never silent. */
function clampedLines(clamped: Decision['clamped']): string {
  return (clamped ?? [])
    .map((c) => `\nclamped: ${c.key} asked ${JSON.stringify(c.asked)}, granted ${JSON.stringify(c.granted)}`)
    .join('');
}

export function decisionText(decision: Decision): string {
  return decisionLine(decision) + clampedLines(decision.clamped);
}

function decisionLine({ outcome, approval }: Decision): string {
  const p = approval.permission;
  const what = `${p.id} (${p.action} by ${approval.agent.name})`;
  if (outcome === 'vote_recorded') {
    // A vote that arrived as the request was decided another way (a deny, the deadline).
    if (p.status !== 'pending') return `vote recorded on ${what}, but it is already ${p.status}`;
    return `vote recorded on ${what}: ${quorum(approval)} approvals`;
  }
  if (outcome === 'denied') return `denied ${what}${p.reason ? `: ${p.reason}` : ''}`;
  return `approved ${what}; scope ${json(p.scope)}, token lifetime ${p.ttl} s, valid until ${p.expiresAt}`;
}
