import { AgentOtpError, type PermissionStatus, TERMINAL_STATUSES } from '@agent-otp/core';
import type { DashApp, DashboardDeps } from '../deps.ts';
import { page } from '../views/layout.tsx';
import { Badge, RiskBadge, Time } from '../views/parts.tsx';
import { summarize } from '../views/summary.ts';
import { parseTime } from './audit-query.ts';
import { loadNames, riskOf } from './lookup.ts';

const PAGE_SIZE = 25;
/** Every status a request can end in, and `approved` (decided, its token maybe still live). */
export const DECIDED_STATUSES: readonly PermissionStatus[] = ['approved', ...TERMINAL_STATUSES];

interface HistoryFilters {
  q: string;
  status: string;
  agent: string;
  action: string;
  since: string;
  until: string;
}

function readFilters(query: Record<string, string | undefined>): HistoryFilters {
  const get = (key: string) => (query[key] ?? '').trim().slice(0, 200);
  const filters = {
    q: get('q'),
    status: get('status'),
    agent: get('agent'),
    action: get('action'),
    since: get('since'),
    until: get('until'),
  };
  if (filters.status && !DECIDED_STATUSES.includes(filters.status as PermissionStatus)) {
    throw new AgentOtpError(
      'VALIDATION_ERROR',
      `status must be one of ${DECIDED_STATUSES.join(', ')}, got "${filters.status}"`,
      { field: 'status' },
    );
  }
  return filters;
}

const queryString = (filters: HistoryFilters, extra: Record<string, string> = {}) =>
  new URLSearchParams(Object.entries({ ...filters, ...extra }).filter(([, v]) => v !== '')).toString();

function Filters({
  filters,
  agents,
}: {
  filters: HistoryFilters;
  agents: Array<{ id: string; name: string }>;
}) {
  return (
    <form method="get" action="/history" class="row filters">
      <label>
        Search
        <input name="q" type="search" value={filters.q} placeholder="id, action, resource, reason" />
      </label>
      <label>
        Status
        <select name="status">
          <option value="">any decided</option>
          {DECIDED_STATUSES.map((s) => (
            <option value={s} selected={s === filters.status}>
              {s}
            </option>
          ))}
        </select>
      </label>
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
        Action
        <input name="action" value={filters.action} placeholder="e.g. bank.transfer" />
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
      <a href="/history" class="btn btn-ghost">
        Clear
      </a>
    </form>
  );
}

/**
 * Decided requests, newest first, in pages of 25 with a keyset cursor; the filters are all in
 * the query string, so a filtered page can be bookmarked or shared.
 */
export function historyPages(app: DashApp, deps: DashboardDeps) {
  app.get('/history', async (c) => {
    const filters = readFilters(c.req.query());
    const cursor = c.req.query('cursor') || undefined;
    await deps.permissions.expireDue();
    const [result, names, agents] = await Promise.all([
      deps.store.listPermissions({
        statuses: filters.status ? [filters.status as PermissionStatus] : DECIDED_STATUSES,
        ...(filters.agent ? { agentId: filters.agent } : {}),
        ...(filters.action ? { action: filters.action } : {}),
        ...(filters.q ? { text: filters.q } : {}),
        since: parseTime(filters.since, 'since'),
        until: parseTime(filters.until, 'until'),
        cursor,
        limit: PAGE_SIZE,
      }),
      loadNames(deps),
      deps.agents.list(),
    ]);
    const body = (
      <>
        <div class="page-head">
          <h1>History</h1>
          <span class="muted small">decided requests, newest first</span>
        </div>
        <Filters filters={filters} agents={agents.map((a) => ({ id: a.id, name: a.name }))} />
        {result.items.length === 0 ? (
          <div class="empty card">
            <p>{cursor ? 'No older requests.' : 'No decided request matches these filters.'}</p>
          </div>
        ) : (
          <ul class="history">
            {result.items.map((p) => {
              const agentName = names.agent(p.agentId);
              const risk = riskOf(deps, p);
              const line = summarize(p, agentName)
                .pieces.map((piece) => (typeof piece === 'string' ? piece : piece.text))
                .join('');
              return (
                <li class="card history-item" data-permission={p.id}>
                  <div class="history-head">
                    <a href={`/requests/${p.id}`} class="mono action">
                      {p.action}
                    </a>
                    <Badge status={p.status} />
                    <RiskBadge risk={risk} />
                    <span class="muted small history-when">
                      <Time ms={p.createdAt} />
                    </span>
                  </div>
                  <p class="history-line">{line}</p>
                  {p.reason ? <p class="muted small history-reason">{p.reason}</p> : null}
                </li>
              );
            })}
          </ul>
        )}
        <nav class="pager" aria-label="Pages">
          {cursor ? <a href={`/history?${queryString(filters)}`}>← Newest</a> : null}
          {result.nextCursor ? (
            <a href={`/history?${queryString(filters, { cursor: result.nextCursor })}`} rel="next">
              Older →
            </a>
          ) : null}
        </nav>
      </>
    );
    return page(c, 'History', 'history', body);
  });
}
