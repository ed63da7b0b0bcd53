import { AgentOtpError, type AuditEntry, type AuditQuery, type Store } from '@agent-otp/core';

/** The audit filters as they arrive in the query string (all optional). */
export interface AuditFilters {
  agent: string;
  event: string;
  action: string;
  since: string;
  until: string;
}

export function readFilters(query: Record<string, string | undefined>): AuditFilters {
  const get = (key: string) => (query[key] ?? '').trim().slice(0, 200);
  return {
    agent: get('agent'),
    event: get('event'),
    action: get('action'),
    since: get('since'),
    until: get('until'),
  };
}

/** `datetime-local` values carry no zone; the form labels them UTC. */
function parseTime(value: string, field: string): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(ms))
    throw new AgentOtpError('VALIDATION_ERROR', `${field} is not a date and time`, { field });
  return ms;
}

/** The part of the filters the store answers; `action` is matched here (it lives in details). */
export function storeQuery(filters: AuditFilters): Omit<AuditQuery, 'limit'> {
  return {
    ...(filters.agent ? { agentId: filters.agent } : {}),
    ...(filters.event ? { event: filters.event } : {}),
    since: parseTime(filters.since, 'since'),
    until: parseTime(filters.until, 'until'),
  };
}

export const matchesAction = (filters: AuditFilters) => (entry: AuditEntry) =>
  !filters.action ||
  (typeof entry.details.action === 'string' && entry.details.action.startsWith(filters.action));

/**
 * Walks the log forward in pages from `afterSeq`, yielding the entries that match. The store
 * filters what it can; the action prefix is checked here.
 */
export async function* walkAudit(
  store: Store,
  filters: AuditFilters,
  afterSeq = 0,
  pageSize = 1000,
): AsyncGenerator<AuditEntry> {
  const base = storeQuery(filters);
  const keep = matchesAction(filters);
  let cursor = afterSeq;
  for (;;) {
    const page = await store.listAudit({ ...base, afterSeq: cursor, limit: pageSize });
    for (const entry of page) if (keep(entry)) yield entry;
    if (page.length < pageSize) return;
    cursor = (page[page.length - 1] as AuditEntry).seq;
  }
}

/** One page for the table: up to `size` matches after `afterSeq`, and whether more follow. */
export async function auditPage(store: Store, filters: AuditFilters, afterSeq: number, size: number) {
  const entries: AuditEntry[] = [];
  let more = false;
  for await (const entry of walkAudit(store, filters, afterSeq, 500)) {
    if (entries.length === size) {
      more = true;
      break;
    }
    entries.push(entry);
  }
  return { entries, more };
}

export {
  auditCsvHeader as csvHeader,
  auditCsvRow as csvRow,
  auditJsonLine as jsonlRow,
} from '@agent-otp/core';
