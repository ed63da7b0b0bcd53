import type { AuditEntry, Store } from '@agent-otp/core';

export const OUTCOMES = ['approved', 'denied', 'expired', 'other', 'pending'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Bucket {
  start: number;
  counts: Record<Outcome, number>;
}

export interface Overview {
  range: '24h' | '7d';
  bucketMs: number;
  buckets: Bucket[];
  totals: Record<Outcome, number>;
  /** Seconds from request to a human's decision (policy decisions are not counted). */
  latencies: number[];
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const MAX_ENTRIES = 200_000;

const emptyCounts = (): Record<Outcome, number> => ({
  approved: 0,
  denied: 0,
  expired: 0,
  other: 0,
  pending: 0,
});

/** What a request came to, from the audit event that decided it (later events do not change it). */
function outcomeOf(entry: AuditEntry): Outcome | null {
  switch (entry.event) {
    case 'permission.approved':
      return 'approved';
    case 'permission.denied':
      return 'denied';
    case 'permission.expired':
      return entry.details.from === 'pending' ? 'expired' : null;
    case 'permission.cancelled':
      return 'other';
    default:
      return null;
  }
}

/**
 * Requests over the range by outcome, and human approval latency, computed from the audit log
 * alone: the log has every request and decision with its time, so no other table is needed.
 */
export async function overviewData(store: Store, now: number, range: '24h' | '7d'): Promise<Overview> {
  const bucketMs = range === '24h' ? HOUR : DAY;
  const count = range === '24h' ? 24 : 7;
  const first = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;
  const requested = new Map<string, number>();
  const outcomes = new Map<string, Outcome>();
  const latencies: number[] = [];

  let afterSeq = 0;
  let seen = 0;
  for (;;) {
    const page = await store.listAudit({ since: first, afterSeq, limit: 1000 });
    for (const entry of page) {
      if (!entry.permissionId) continue;
      if (entry.event === 'permission.requested') {
        requested.set(entry.permissionId, entry.at);
        continue;
      }
      const outcome = outcomeOf(entry);
      if (!outcome || outcomes.has(entry.permissionId)) continue;
      outcomes.set(entry.permissionId, outcome);
      const asked = requested.get(entry.permissionId);
      if (
        entry.actor.type === 'user' &&
        asked !== undefined &&
        (outcome === 'approved' || outcome === 'denied')
      ) {
        latencies.push((entry.at - asked) / 1000);
      }
    }
    seen += page.length;
    if (page.length < 1000 || seen >= MAX_ENTRIES) break;
    afterSeq = (page[page.length - 1] as AuditEntry).seq;
  }

  const buckets: Bucket[] = Array.from({ length: count }, (_, i) => ({
    start: first + i * bucketMs,
    counts: emptyCounts(),
  }));
  const totals = emptyCounts();
  for (const [id, at] of requested) {
    const bucket = buckets[Math.floor((at - first) / bucketMs)];
    const outcome = outcomes.get(id) ?? 'pending';
    if (bucket) bucket.counts[outcome] += 1;
    totals[outcome] += 1;
  }
  return { range, bucketMs, buckets, totals, latencies: latencies.sort((a, b) => a - b) };
}

/** Nearest-rank percentile of sorted values; null when there are none. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

export const LATENCY_BUCKETS: Array<{ label: string; max: number }> = [
  { label: '<10s', max: 10 },
  { label: '10–30s', max: 30 },
  { label: '30s–1m', max: 60 },
  { label: '1–5m', max: 300 },
  { label: '5–15m', max: 900 },
  { label: '15–60m', max: 3600 },
  { label: '>1h', max: Number.POSITIVE_INFINITY },
];

export function latencyHistogram(latencies: number[]): number[] {
  const counts = LATENCY_BUCKETS.map(() => 0);
  for (const seconds of latencies) {
    const index = LATENCY_BUCKETS.findIndex((b) => seconds < b.max);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}
