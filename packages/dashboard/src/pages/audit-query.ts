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
export function parseTime(value: string, field: string): number | undefined {
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

/** Where a page of the table starts. */
export type AuditCursor =
  | { kind: 'head' } // the newest entries
  | { kind: 'older'; beforeSeq: number } // the page below an entry
  | { kind: 'newer'; afterSeq: number } // the page above an entry
  | { kind: 'jump'; at: number }; // the newest entries at or before a time (ms, exclusive bound)

/**
 * Walks the log in pages, yielding the entries that match: forward from `afterSeq` (the export),
 * or backward from `beforeSeq` with `order: 'desc'`. The store filters what it can; the action
 * prefix is checked here.
 */
export async function* walkAudit(
  store: Store,
  filters: AuditFilters,
  afterSeq = 0,
  pageSize = 1000,
  direction: { order: 'desc'; beforeSeq?: number; until?: number } | null = null,
): AsyncGenerator<AuditEntry> {
  const base = storeQuery(filters);
  if (direction?.until !== undefined && (base.until === undefined || direction.until < base.until))
    base.until = direction.until;
  const keep = matchesAction(filters);
  let after = afterSeq;
  let before = direction?.beforeSeq;
  for (;;) {
    const page = await store.listAudit({
      ...base,
      ...(direction ? { order: 'desc' as const, afterSeq: after } : { afterSeq: after }),
      ...(before !== undefined ? { beforeSeq: before } : {}),
      limit: pageSize,
    });
    for (const entry of page) if (keep(entry)) yield entry;
    if (page.length < pageSize) return;
    const last = (page[page.length - 1] as AuditEntry).seq;
    if (direction) before = last;
    else after = last;
  }
}

async function take(walk: AsyncGenerator<AuditEntry>, size: number) {
  const entries: AuditEntry[] = [];
  let more = false;
  for await (const entry of walk) {
    if (entries.length === size) {
      more = true;
      break;
    }
    entries.push(entry);
  }
  await walk.return(undefined);
  return { entries, more };
}

/** Whether any match lies beyond a page edge (so the pager offers the link). */
async function anyBeyond(store: Store, filters: AuditFilters, edge: 'newer' | 'older', seq: number) {
  const walk =
    edge === 'newer'
      ? walkAudit(store, filters, seq, 200)
      : walkAudit(store, filters, 0, 200, { order: 'desc', beforeSeq: seq });
  return (await take(walk, 0)).more;
}

/**
 * One page for the table, newest first: up to `size` matches from `cursor`, and whether newer
 * and older matches exist beyond it. A "newer" page that reaches the head is the head page, so
 * paging back up always ends on a full page of the newest entries.
 */
export async function auditPage(store: Store, filters: AuditFilters, cursor: AuditCursor, size: number) {
  if (cursor.kind === 'newer') {
    const up = await take(walkAudit(store, filters, cursor.afterSeq, 500), size);
    if (!up.more) return auditPage(store, filters, { kind: 'head' }, size);
    const entries = up.entries.reverse();
    const bottom = entries[entries.length - 1];
    const older = bottom ? await anyBeyond(store, filters, 'older', bottom.seq) : false;
    return { entries, newer: true, older };
  }
  const direction = {
    order: 'desc' as const,
    ...(cursor.kind === 'older' ? { beforeSeq: cursor.beforeSeq } : {}),
    ...(cursor.kind === 'jump' ? { until: cursor.at } : {}),
  };
  const down = await take(walkAudit(store, filters, 0, 500, direction), size);
  const top = down.entries[0];
  const newer = cursor.kind === 'head' || !top ? false : await anyBeyond(store, filters, 'newer', top.seq);
  return { entries: down.entries, newer, older: down.more };
}

/** The cursor from the query string: `before`, `after` or `at` (a time); none is the head. */
export function readCursor(query: Record<string, string | undefined>): AuditCursor {
  const seq = (key: string) => {
    const n = Number.parseInt(query[key] ?? '', 10);
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  };
  const before = seq('before');
  if (before !== null) return { kind: 'older', beforeSeq: before };
  const after = seq('after');
  if (after !== null) return { kind: 'newer', afterSeq: after };
  const at = (query.at ?? '').trim().slice(0, 40);
  if (at) {
    const ms = parseTime(at, 'at') as number;
    // "At 12:30" includes the whole minute (or second) the input names.
    const step = /T\d\d:\d\d$/.test(at) ? 60_000 : /T\d\d:\d\d:\d\d$/.test(at) ? 1000 : 1;
    return { kind: 'jump', at: ms + step };
  }
  return { kind: 'head' };
}

export {
  auditCsvHeader as csvHeader,
  auditCsvRow as csvRow,
  auditJsonLine as jsonlRow,
} from '@agent-otp/core';
