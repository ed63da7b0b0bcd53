import { watchAll } from '@agent-otp/core';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { streamSSE } from 'hono/streaming';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { hasRole } from '../http/session.ts';
import { BulkBar } from '../views/bulk-bar.tsx';
import { ClampedNotice } from '../views/clamped.tsx';
import { html, page } from '../views/layout.tsx';
import { Alert, Badge } from '../views/parts.tsx';
import { RequestCard, type RequestView } from '../views/request-card.tsx';
import { pendingRequests } from './lookup.ts';

function InboxList({ items, c, now }: { items: RequestView[]; c: Context<DashEnv>; now: number }) {
  if (items.length === 0) {
    return (
      <div class="empty card" data-pending-count="0">
        <p>Nothing is waiting for a decision.</p>
        <p class="muted small">New requests appear here as soon as an agent asks.</p>
      </div>
    );
  }
  return (
    <>
      <p class="muted small count" data-pending-count={items.length}>
        {items.length === 1 ? '1 request waiting' : `${items.length} requests waiting`}
      </p>
      <div class="cards">
        {items.map((item) => (
          <RequestCard {...item} user={c.get('user')} csrf={c.get('csrf')} now={now} back="inbox" />
        ))}
      </div>
    </>
  );
}

/** After a decision from the inbox: one line saying what became of the request. */
async function decidedNotice(deps: DashboardDeps, id: string | undefined, userId: string) {
  if (!id) return null;
  const permission = await deps.store.getPermission(id);
  if (!permission) return null;
  const text = permission.status === 'pending' ? 'your vote was recorded; more approvers are needed' : null;
  const votes = await deps.store.listAudit({ permissionId: id, event: 'approval.vote', limit: 100 });
  return (
    <>
      <Alert kind={permission.status === 'denied' ? 'warn' : 'ok'}>
        <a href={`/requests/${id}`}>{permission.action}</a> is now <Badge status={permission.status} />
        {text ? ` (${text})` : null}
      </Alert>
      <ClampedNotice entries={votes} userId={userId} />
    </>
  );
}

/**
 * The inbox page with a notice above the list (a decision's outcome, a bulk report). For
 * approvers, the bulk form sits outside the live list, so a re-render keeps it; the cards'
 * checkboxes join it through their form attribute.
 */
export async function inboxPage(deps: DashboardDeps, c: Context<DashEnv>, notice: Child, status?: 200 | 400) {
  const items = await pendingRequests(deps);
  const now = deps.clock.now();
  const body = (
    <>
      <div class="page-head">
        <h1>Inbox</h1>
        {/* Shown by app.js where the browser has notifications; the choice lives in localStorage. */}
        <button type="button" class="btn btn-small btn-ghost" id="notify-toggle" hidden>
          Notify me of new requests
        </button>
        <span class="live" id="live" title="Live updates">
          live
        </span>
      </div>
      {notice}
      {hasRole(c.get('user'), 'approver') ? <BulkBar csrf={c.get('csrf')} /> : null}
      <div hx-ext="sse" sse-connect="/events/inbox">
        <div id="inbox-list" hx-get="/inbox" hx-trigger="sse:inbox" hx-swap="innerHTML">
          <InboxList items={items} c={c} now={now} />
        </div>
      </div>
    </>
  );
  // The count in the tab title; app.js keeps it current as the live list changes.
  return page(c, items.length > 0 ? `(${items.length}) Inbox` : 'Inbox', 'inbox', body, status);
}

/**
 * The inbox: pending requests, kept live by an SSE stream. The stream carries no data, only a
 * nudge (`event: inbox`) on every change, and htmx re-fetches the list fragment, so what the
 * browser shows always comes from the same rendering as a reload.
 */
export function inboxPages(app: DashApp, deps: DashboardDeps) {
  app.get('/', async (c) =>
    inboxPage(deps, c, await decidedNotice(deps, c.req.query('decided'), c.get('user').id)),
  );

  app.get('/inbox', async (c) => {
    const items = await pendingRequests(deps);
    return html(c, <InboxList items={items} c={c} now={deps.clock.now()} />);
  });

  app.get('/events/inbox', (c) => {
    const keepaliveMs = deps.keepaliveMs ?? 15_000;
    return streamSSE(c, async (stream) => {
      let wake: (() => void) | null = null;
      let changed = false;
      const unsubscribe = watchAll(deps.events, () => {
        changed = true;
        wake?.();
      });
      stream.onAbort(() => wake?.());
      try {
        await stream.writeSSE({ event: 'ready', data: 'ok' });
        while (!stream.aborted && !stream.closed) {
          // Changes that arrived while the last write was in flight are sent without waiting.
          if (!changed) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, keepaliveMs);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
          }
          wake = null;
          if (stream.aborted || stream.closed) break;
          if (changed) {
            changed = false;
            await stream.writeSSE({ event: 'inbox', data: 'changed' });
          } else {
            // A comment line keeps proxies from closing an idle connection.
            await stream.write(': keepalive\n\n');
            if (!(await stillLoggedIn(deps, c))) break;
          }
        }
      } finally {
        unsubscribe();
      }
    });
  });
}

/** A logged-out or expired session stops receiving updates at the next keepalive. */
async function stillLoggedIn(deps: DashboardDeps, c: Context<DashEnv>) {
  const session = c.get('session');
  return (
    session.expiresAt > deps.clock.now() && (await deps.store.getSessionByHash(session.tokenHash)) !== null
  );
}
