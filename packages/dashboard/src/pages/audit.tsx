import { AgentOtpError, type AuditEntry, verifyAuditLog } from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { html, page } from '../views/layout.tsx';
import { Alert, Badge, Time } from '../views/parts.tsx';
import { actorName, type Names } from '../views/timeline.tsx';
import {
  type AuditCursor,
  type AuditFilters,
  auditPage,
  csvHeader,
  csvRow,
  jsonlRow,
  readCursor,
  readFilters,
  storeQuery,
  walkAudit,
} from './audit-query.ts';
import { loadNames } from './lookup.ts';

const PAGE_SIZE = 50;
const KNOWN_EVENTS = [
  'permission.requested',
  'permission.approved',
  'permission.denied',
  'permission.expired',
  'permission.cancelled',
  'permission.revoked',
  'approval.vote',
  'token.delivered',
  'token.verified',
  'token.used',
  'token.use_refused',
  'agent.created',
  'agent.key_rotated',
  'agent.disabled',
  'agent.enabled',
  'user.created',
  'user.disabled',
  'user.enabled',
  'user.role_changed',
  'user.login',
  'user.login_failed',
  'user.login_throttled',
  'user.logout',
  'user.password_changed',
  'user.password_change_failed',
  'user.password_reset',
  'user.token_created',
  'user.token_revoked',
  'policy.in_force',
  // Written by the store itself when the log has several stripes (see docs/architecture.md).
  'audit.anchor',
];

const queryString = (filters: AuditFilters, extra: Record<string, string> = {}) =>
  new URLSearchParams(Object.entries({ ...filters, ...extra }).filter(([, v]) => v !== '')).toString();

function Filters({
  filters,
  agents,
}: {
  filters: AuditFilters;
  agents: Array<{ id: string; name: string }>;
}) {
  return (
    <form method="get" action="/audit" class="row">
      <label>
        Agent
        <select name="agent">
          <option value="">any</option>
          {agents.map((a) => (
            <option value={a.id} selected={a.id === filters.agent}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Event
        <input name="event" list="audit-events" value={filters.event} placeholder="any" />
      </label>
      <datalist id="audit-events">
        {KNOWN_EVENTS.map((e) => (
          <option value={e} />
        ))}
      </datalist>
      <label>
        Action starts with
        <input name="action" value={filters.action} placeholder="e.g. bank." />
      </label>
      <label>
        From (UTC)
        <input name="since" type="datetime-local" value={filters.since} />
      </label>
      <label>
        Until (UTC)
        <input name="until" type="datetime-local" value={filters.until} />
      </label>
      <button type="submit" class="btn">
        Filter
      </button>
    </form>
  );
}

/** The form that jumps to a time, keeping the filters. */
function Jump({ filters, at }: { filters: AuditFilters; at: string }) {
  return (
    <form method="get" action="/audit" class="row jump">
      {Object.entries(filters).map(([name, value]) =>
        value ? <input type="hidden" name={name} value={value} /> : null,
      )}
      <label>
        Jump to (UTC)
        <input name="at" type="datetime-local" step="1" value={at} required />
      </label>
      <button type="submit" class="btn">
        Show entries at or before
      </button>
    </form>
  );
}

/**
 * An entry's details as `key: value` lines: plain values wrap where they must (ids and hashes have
 * no spaces), objects and lists are pretty JSON that scrolls sideways rather than wrapping.
 */
function Details({ details }: { details: Record<string, unknown> }) {
  const keys = Object.keys(details);
  if (keys.length === 0) return <span class="muted">—</span>;
  return (
    <dl class="kv">
      {keys.map((key) => {
        const value = details[key];
        return (
          <div>
            <dt>{key}</dt>
            <dd>
              {value !== null && typeof value === 'object' ? (
                <pre class="kv-json">{JSON.stringify(value, null, 2)}</pre>
              ) : (
                <span class="kv-value">{value === null ? 'null' : String(value)}</span>
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/**
 * Details folded behind a one-line preview, so a page of 50 entries stays a page: a vote or a
 * request with a large scope would otherwise stretch its row over a screen or more.
 */
function CollapsedDetails({ details }: { details: Record<string, unknown> }) {
  const keys = Object.keys(details);
  if (keys.length === 0) return <span class="muted">—</span>;
  const preview = keys
    .slice(0, 2)
    .map((key) => {
      const value = details[key];
      const text = Array.isArray(value)
        ? value.map((v) => (v !== null && typeof v === 'object' ? '{…}' : String(v))).join(', ')
        : value !== null && typeof value === 'object'
          ? '{…}'
          : String(value);
      return `${key}: ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
    })
    .join(' · ');
  return (
    <details class="kv-fold">
      <summary>
        {preview}
        {keys.length > 2 ? <span class="muted"> · {keys.length - 2} more</span> : null}
      </summary>
      <Details details={details} />
    </details>
  );
}

function EntryRows({ entries, names }: { entries: AuditEntry[]; names: Names }) {
  return (
    <>
      {entries.map((e) => (
        <tr>
          <td class="mono" data-label="#">
            {e.seq}
          </td>
          <td data-label="Time">
            <Time ms={e.at} />
          </td>
          <td class="mono" data-label="Event">
            {e.event}
          </td>
          <td data-label="Actor">{actorName(e, names)}</td>
          <td data-label="Permission">
            {e.permissionId ? (
              <a href={`/requests/${e.permissionId}`} class="mono small">
                {e.permissionId}
              </a>
            ) : null}
          </td>
          <td class="details small" data-label="Details">
            <CollapsedDetails details={e.details} />
          </td>
        </tr>
      ))}
    </>
  );
}

const cursorLinks = (
  filters: AuditFilters,
  entries: AuditEntry[],
  page: { newer: boolean; older: boolean },
) => {
  const top = entries[0];
  const bottom = entries[entries.length - 1];
  return (
    <nav class="pager" aria-label="Audit pages">
      <span>
        {page.newer ? <a href={`/audit?${queryString(filters)}`}>« Newest</a> : null}
        {page.newer && top ? (
          <>
            {' '}
            <a href={`/audit?${queryString(filters, { after: String(top.seq) })}`} rel="prev">
              ‹ Newer
            </a>
          </>
        ) : null}
      </span>
      {page.older && bottom ? (
        <a href={`/audit?${queryString(filters, { before: String(bottom.seq) })}`} rel="next">
          Older ›
        </a>
      ) : null}
    </nav>
  );
};

async function auditList(deps: DashboardDeps, c: Context<DashEnv>) {
  const filters = readFilters(c.req.query());
  const at = (c.req.query('at') ?? '').trim().slice(0, 40);
  const [names, agents] = await Promise.all([loadNames(deps), deps.agents.list()]);
  let result = { entries: [] as AuditEntry[], newer: false, older: false };
  let error: string | null = null;
  try {
    const cursor: AuditCursor = readCursor(c.req.query());
    result = await auditPage(deps.store, filters, cursor, PAGE_SIZE);
  } catch (e) {
    if (!(e instanceof AgentOtpError)) throw e;
    error = e.message;
  }
  const body = (
    <>
      <div class="page-head">
        <h1>Audit log</h1>
        <div id="chain" hx-get="/audit/verify" hx-trigger="load" hx-swap="innerHTML">
          <span class="muted small">checking the chain…</span>
        </div>
      </div>
      <section class="card">
        <Filters filters={filters} agents={agents} />
        <Jump filters={filters} at={at} />
        <p class="small">
          Newest first. Export: <a href={`/audit/export.jsonl?${queryString(filters)}`}>JSONL</a> ·{' '}
          <a href={`/audit/export.csv?${queryString(filters)}`}>CSV</a>
        </p>
      </section>
      {error ? <Alert>{error}</Alert> : null}
      <section class="card table-wrap">
        {result.entries.length === 0 ? (
          <p class="muted">No entries match.</p>
        ) : (
          <table class="audit stacked">
            <thead>
              <tr>
                <th>#</th>
                <th>Time</th>
                <th>Event</th>
                <th>Actor</th>
                <th>Permission</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              <EntryRows entries={result.entries} names={names} />
            </tbody>
          </table>
        )}
        {cursorLinks(filters, result.entries, result)}
      </section>
    </>
  );
  return page(c, 'Audit', 'audit', body, error ? 400 : 200);
}

/** Streams every matching entry, reading the store 1000 entries at a time. */
function exportResponse(deps: DashboardDeps, c: Context<DashEnv>, format: 'jsonl' | 'csv') {
  const filters = readFilters(c.req.query());
  storeQuery(filters); // bad dates fail here, as a page, before the download starts
  const entries = walkAudit(deps.store, filters);
  const encoder = new TextEncoder();
  let headerSent = format === 'jsonl';
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvHeader()));
        return;
      }
      const next = await entries.next();
      if (next.done) return controller.close();
      controller.enqueue(encoder.encode(format === 'csv' ? csvRow(next.value) : jsonlRow(next.value)));
    },
    async cancel() {
      await entries.return(undefined);
    },
  });
  const stamp = new Date(deps.clock.now()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
  c.header(
    'Content-Type',
    format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
  );
  c.header('Content-Disposition', `attachment; filename="agent-otp-audit-${stamp}.${format}"`);
  return c.body(stream);
}

/** The audit log: filters, pages, exports and the hash-chain status. */
export function auditPages(app: DashApp, deps: DashboardDeps) {
  app.get('/audit', (c) => auditList(deps, c));
  app.get('/audit/export.jsonl', (c) => exportResponse(deps, c, 'jsonl'));
  app.get('/audit/export.csv', (c) => exportResponse(deps, c, 'csv'));
  app.get('/audit/verify', async (c) => {
    // The same check as `agent-otp audit verify`: every stripe's links and hashes, the
    // cross-anchors, the head rows and the signed checkpoints.
    const result = await verifyAuditLog(deps.store, deps.auditAnchor ?? null);
    const anchor =
      result.anchor.status === 'anchored' ? (
        <>
          {' '}
          · anchored at entry {result.anchor.seq} (<Time ms={result.anchor.at} />)
          {result.anchor.stripes > 1
            ? `, covering ${result.anchor.entries} entries in ${result.anchor.stripes} stripes`
            : ''}
        </>
      ) : (
        <> · not anchored (no signed checkpoint yet)</>
      );
    return html(
      c,
      result.ok ? (
        <span class="small" title={`head hash ${result.headHash}`}>
          <Badge status="intact" /> chain intact · {result.entries} entries
          {result.stripes > 1 ? ` in ${result.stripes} cross-anchored stripes` : ''} · head{' '}
          <span class="mono">{result.headHash.slice(0, 16)}…</span>
          {anchor}
        </span>
      ) : (
        <span class="small">
          <Badge status="broken" /> chain broken
          {result.brokenAtSeq === null ? '' : ` at entry ${result.brokenAtSeq}`}: {result.reason}
        </span>
      ),
    );
  });
}
