import { AgentOtpError, canonicalJson, type Permission } from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import {
  allValues,
  type FormValues,
  formFields,
  formValues,
  intField,
  jsonObjectField,
  lastValue,
} from '../http/form.ts';
import { hasRole } from '../http/session.ts';
import { ClampedNotice } from '../views/clamped.tsx';
import { duration } from '../views/format.ts';
import type { GrantDraft } from '../views/grant-form.tsx';
import { page } from '../views/layout.tsx';
import { Alert, Badge, CopyId, CsrfField, RiskBadge, Time } from '../views/parts.tsx';
import { RequestCard, RequestSummary } from '../views/request-card.tsx';
import { Timeline } from '../views/timeline.tsx';
import { combinedEdit, fieldEdit } from './grant-edit.ts';
import { loadNames, riskOf } from './lookup.ts';

/** What an approved, used or finished request ended with. */
function Outcome({ permission: p }: { permission: Permission }) {
  return (
    <section class="card">
      <h2>Outcome</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Badge status={p.status} />
        </dd>
        {p.reason ? (
          <>
            <dt>Reason</dt>
            <dd>{p.reason}</dd>
          </>
        ) : null}
        {p.decidedAt ? (
          <>
            <dt>Decided</dt>
            <dd>
              <Time ms={p.decidedAt} />{' '}
              <span class="muted small">after {duration((p.decidedAt - p.createdAt) / 1000)}</span>
            </dd>
          </>
        ) : null}
        {p.status === 'approved' || p.status === 'used' ? (
          <>
            <dt>Uses left</dt>
            <dd>{p.usesRemaining ?? 'unlimited'}</dd>
            <dt>Token expires</dt>
            <dd>
              <Time ms={p.expiresAt} />
            </dd>
            <dt>Token</dt>
            <dd>{p.tokenHash ? 'delivered to the agent' : 'not yet collected by the agent'}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

async function detailPage(
  deps: DashboardDeps,
  c: Context<DashEnv>,
  id: string,
  error?: AgentOtpError,
  form?: FormValues,
) {
  const { permission, votes } = await deps.approvals.get(id);
  const [names, entries] = await Promise.all([
    loadNames(deps),
    deps.store.listAudit({ permissionId: id, limit: 1000 }),
  ]);
  const agentName = names.agent(permission.agentId);
  const body = (
    <>
      <div class="page-head">
        <h1>
          <span class="mono">{permission.action}</span> <span class="muted">by</span> {agentName}
        </h1>
        <Badge status={permission.status} />
      </div>
      <p class="muted small">
        <CopyId id={permission.id} />
      </p>
      {error ? <Alert>{error.message}</Alert> : null}
      {c.req.query('approved') ? <ClampedNotice entries={entries} userId={c.get('user').id} /> : null}
      <RequestCard
        permission={permission}
        agentName={agentName}
        votes={votes}
        risk={riskOf(deps, permission)}
        user={c.get('user')}
        csrf={c.get('csrf')}
        now={deps.clock.now()}
        back="detail"
        draft={form && error ? draftOf(form, error) : undefined}
      />
      {permission.status === 'pending' ? null : <Outcome permission={permission} />}
      <section class="card">
        <h2>Timeline</h2>
        <Timeline entries={entries} names={names} />
      </section>
    </>
  );
  const status = error ? (error.status as 400 | 403 | 404 | 409) : 200;
  return page(c, permission.action, 'inbox', body, status);
}

/** Only the scope an approver actually edited is sent as a narrowing; the prefilled one is not. */
function editedScope(permission: Permission, text: string | undefined) {
  const scope = jsonObjectField(text, 'scope');
  if (scope === undefined || canonicalJson(scope) === canonicalJson(permission.grantedScope ?? {}))
    return undefined;
  return scope;
}

/**
 * The approve form as the approval service takes it: the per-constraint fields, narrowed further
 * by an edited advanced JSON scope; the prefilled lifetime is no narrowing.
 */
function approveInput(permission: Permission, form: FormValues) {
  const ttl = intField(lastValue(form.ttl), 'ttl', 30, 3600);
  const reason = lastValue(form.reason)?.trim();
  return {
    scope: combinedEdit(fieldEdit(permission, form), editedScope(permission, lastValue(form.scope))),
    ttl: ttl === permission.ttlSeconds ? undefined : ttl,
    reason: reason ? reason.slice(0, 500) : undefined,
  };
}

/** The refused form with its error at the field it names (the service names `field` in details). */
function draftOf(form: FormValues, error: AgentOtpError): GrantDraft {
  const details = error.details as { field?: unknown; errors?: Array<{ path?: unknown }> } | undefined;
  let field = typeof details?.field === 'string' ? details.field : undefined;
  // A scope error names its constraint (`memo_pattern[1]`): point at that row when it was posted.
  const path = details?.errors?.[0]?.path;
  const key = typeof path === 'string' ? path.split(/[.[]/)[0] : undefined;
  if (field === 'scope' && key && form[`g.${key}`] !== undefined) field = `g.${key}`;
  return { values: form, field, message: error.message };
}

/** `approved` asks the detail page to say which of the approver's values were clamped, if any. */
const backTo = (back: string | undefined, id: string, approved = false) =>
  back === 'detail'
    ? `/requests/${id}${approved ? '?approved=1' : ''}`
    : `/?decided=${encodeURIComponent(id)}`;

/** The request detail page (the API's approvalUrl) and the approve / deny form handlers. */
export function requestPages(app: DashApp, deps: DashboardDeps) {
  app.get('/requests/:id', (c) => detailPage(deps, c, c.req.param('id')));

  app.post('/requests/:id/approve', async (c) => {
    const id = c.req.param('id');
    const form = await formValues(c);
    try {
      const { permission } = await deps.approvals.get(id);
      // Parsed before the confirmation step, so a bad value is reported at once.
      const input = approveInput(permission, form);
      // Checked on the server, so the step holds without JavaScript and for any client. A
      // request that cannot be approved anyway (decided, viewer) goes on to approve()'s refusal.
      const askFirst =
        permission.status === 'pending' &&
        hasRole(c.get('user'), 'approver') &&
        riskOf(deps, permission) === 'high' &&
        lastValue(form.confirm) !== 'high-risk';
      if (askFirst) return confirmPage(deps, c, permission, form, input.scope !== undefined);
      await deps.approvals.approve(c.get('user'), id, input);
      return c.redirect(backTo(lastValue(form.back), id, true), 303);
    } catch (error) {
      return decisionFailed(deps, c, id, error, form);
    }
  });

  app.post('/requests/:id/deny', async (c) => {
    const id = c.req.param('id');
    const form = await formFields(c);
    try {
      const reason = form.reason?.trim() ? form.reason.trim().slice(0, 500) : undefined;
      await deps.approvals.deny(c.get('user'), id, reason);
      return c.redirect(backTo(form.back, id), 303);
    } catch (error) {
      return decisionFailed(deps, c, id, error);
    }
  });
}

/**
 * The second step of a high-risk approval: the request in one sentence, and the approver's own
 * form values carried over unchanged, to be submitted again with the confirmation.
 */
async function confirmPage(
  deps: DashboardDeps,
  c: Context<DashEnv>,
  permission: Permission,
  form: FormValues,
  narrowed: boolean,
) {
  const agentName = (await loadNames(deps)).agent(permission.agentId);
  // Everything the approver entered, each value of a repeated field (ticked boxes) included.
  const carried = Object.entries(form)
    .filter(([name]) => name !== '_csrf' && name !== 'confirm')
    .flatMap(([name, value]) => allValues(value).map((v) => [name, v] as const));
  const body = (
    <>
      <div class="page-head">
        <h1>Confirm a high-risk approval</h1>
        <RiskBadge risk="high" />
      </div>
      <section class="card confirm-step">
        <RequestSummary permission={permission} agentName={agentName} />
        <p>
          The policy rule <strong>{permission.policyRule}</strong> marks this request as high risk. Approving
          gives <strong>{agentName}</strong> a token for <span class="mono">{permission.action}</span>
          {narrowed ? ' with the scope you narrowed' : ''}.
        </p>
        <form method="post" action={`/requests/${permission.id}/approve`} class="confirm-form">
          <CsrfField token={c.get('csrf')} />
          {carried.map(([name, value]) => (
            <input type="hidden" name={name} value={value} />
          ))}
          <input type="hidden" name="confirm" value="high-risk" />
          <button type="submit" class="btn btn-approve">
            Yes, approve this high-risk request
          </button>{' '}
          <a class="btn btn-ghost" href={`/requests/${permission.id}`}>
            Cancel
          </a>
        </form>
      </section>
    </>
  );
  return page(c, 'Confirm approval', 'inbox', body);
}

/**
 * A refused decision (bad scope JSON, already decided, expired…) re-renders the request with
 * the reason, instead of an error page. Missing requests and role refusals stay error pages.
 */
function decisionFailed(
  deps: DashboardDeps,
  c: Context<DashEnv>,
  id: string,
  error: unknown,
  form?: FormValues,
) {
  if (!(error instanceof AgentOtpError) || error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN')
    throw error;
  return detailPage(deps, c, id, error, form);
}
