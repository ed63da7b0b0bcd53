import type { AuditEntry } from '../types.ts';

/**
 * The audit export formats, shared by the CLI and the dashboard.
 * JSONL: each entry exactly as hashed (`at` in epoch milliseconds), so an export can be
 * re-verified offline, plus `time`, the same instant in ISO 8601 for people.
 * CSV: RFC 4180, one row per entry, times in ISO 8601, details as JSON, the stripe position last.
 */
export const AUDIT_CSV_COLUMNS = [
  'seq',
  'id',
  'at',
  'event',
  'actor_type',
  'actor_id',
  'agent_id',
  'permission_id',
  'policy_version',
  'details',
  'prev_hash',
  'hash',
  // Last, so readers of the columns above are not shifted: the entry's place in its stripe.
  'stripe',
  'stripe_seq',
] as const;

export const auditCsvHeader = (): string => `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;

/** A CSV cell; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
function csvCell(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function auditCsvRow(e: AuditEntry): string {
  const cells = [
    e.seq,
    e.id,
    new Date(e.at).toISOString(),
    e.event,
    e.actor.type,
    e.actor.id,
    e.agentId,
    e.permissionId,
    e.policyVersion,
    JSON.stringify(e.details),
    e.prevHash,
    e.hash,
    e.stripe,
    e.stripeSeq,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export const auditJsonLine = (e: AuditEntry): string =>
  `${JSON.stringify({ ...e, time: new Date(e.at).toISOString() })}\n`;
