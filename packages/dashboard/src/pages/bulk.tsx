import { AgentOtpError, type User } from '@agent-otp/core';
import type { DashApp, DashboardDeps } from '../deps.ts';
import { allValues, type FormValues, formValues, lastValue } from '../http/form.ts';
import { requireRole } from '../http/session.ts';
import { Alert } from '../views/parts.tsx';
import { inboxPage } from './inbox.tsx';
import { riskOf } from './lookup.ts';

/** A bulk post decides at most this many requests (the inbox lists 200 at most). */
export const MAX_BULK = 100;

type Decision = 'approve' | 'deny';

/** What became of one request of a bulk decision. */
export interface BulkResult {
  id: string;
  action: string | null;
  result: 'done' | 'vote_recorded' | 'already' | 'not_low_risk' | 'not_found' | 'refused' | 'failed';
  detail: string;
}

/**
 * Decides one request of a bulk post. Only low-risk requests qualify: the risk is read from the
 * policy in force here, on the server, whatever the form says. The decision itself is the same
 * call as a single one (one compare-and-set with its audit entries), so a request decided
 * meanwhile by someone else has exactly one outcome, and a failure stops nothing but itself.
 */
async function decideOne(deps: DashboardDeps, user: User, id: string, decision: Decision, reason?: string) {
  const result = (r: BulkResult['result'], detail: string, action: string | null = null): BulkResult => ({
    id,
    action,
    result: r,
    detail,
  });
  let action: string | null = null;
  try {
    const { permission } = await deps.approvals.get(id);
    action = permission.action;
    if (permission.status !== 'pending') return result('already', `already ${permission.status}`, action);
    const risk = riskOf(deps, permission);
    if (risk !== 'low') {
      const level = risk ? `${risk} risk` : 'no risk level';
      return result(
        'not_low_risk',
        `${level}: only low-risk requests are decided in bulk; decide it on its own`,
        action,
      );
    }
    const outcome =
      decision === 'approve'
        ? await deps.approvals.approve(user, id, { reason })
        : await deps.approvals.deny(user, id, reason);
    if (outcome.outcome !== 'vote_recorded') return result('done', outcome.outcome, action);
    if (outcome.permission.status === 'pending') {
      const approvals = outcome.votes.filter((v) => v.decision === 'approve').length;
      return result(
        'vote_recorded',
        `your vote is recorded; ${approvals} of ${outcome.permission.approvalsRequired} approvals`,
        action,
      );
    }
    // Our vote landed, but another decision won the compare-and-set.
    return result('already', `already ${outcome.permission.status}`, action);
  } catch (error) {
    if (!(error instanceof AgentOtpError)) {
      deps.logger?.error({ err: error, permissionId: id }, 'bulk decision failed');
      return result('failed', 'the server failed to decide it', action);
    }
    if (error.code === 'NOT_FOUND') return result('not_found', 'no such request');
    if (error.code === 'INVALID_STATE') {
      const status = (error.details as { status?: unknown } | undefined)?.status;
      return result('already', typeof status === 'string' ? `already ${status}` : error.message, action);
    }
    if (error.code === 'CONFLICT') return result('already', 'you have already voted on it', action);
    return result('refused', error.message, action);
  }
}

const SUMMARY: Array<[BulkResult['result'], (n: number, decision: Decision) => string]> = [
  ['done', (n, d) => `${d === 'approve' ? 'approved' : 'denied'} ${n}`],
  ['vote_recorded', (n) => `${n} recorded as your vote (more approvers needed)`],
  ['already', (n) => `${n} already decided`],
  ['not_low_risk', (n) => `${n} refused: not low risk`],
  ['not_found', (n) => `${n} not found`],
  ['refused', (n) => `${n} refused`],
  ['failed', (n) => `${n} failed`],
];

/** "Approved 4, 1 already decided": every outcome that occurred, with its count. */
export function bulkSummary(results: BulkResult[], decision: Decision): string {
  const parts = SUMMARY.map(([kind, text]) => {
    const n = results.filter((r) => r.result === kind).length;
    return n > 0 ? text(n, decision) : null;
  }).filter((part) => part !== null);
  if (!parts.some((p) => p.startsWith('approved') || p.startsWith('denied')))
    parts.unshift(`${decision === 'approve' ? 'approved' : 'denied'} 0`);
  const line = parts.join(', ');
  return `${line.charAt(0).toUpperCase()}${line.slice(1)}.`;
}

function BulkReport({ results, decision }: { results: BulkResult[]; decision: Decision }) {
  const clean = results.every((r) => r.result === 'done');
  return (
    <Alert kind={clean ? 'ok' : 'warn'}>
      <p class="bulk-summary">{bulkSummary(results, decision)}</p>
      <ul class="bulk-report small">
        {results.map((r) => (
          <li data-result={r.result} data-permission={r.id}>
            <a href={`/requests/${encodeURIComponent(r.id)}`}>{r.action ?? r.id}</a> — {r.detail}
          </li>
        ))}
      </ul>
    </Alert>
  );
}

/** The ids of a bulk post: each once, in the order posted; a refusal when there are none or too many. */
function selectedIds(form: FormValues): string[] | string {
  const ids = [
    ...new Set(
      allValues(form.id)
        .map((id) => id.trim())
        .filter((id) => id !== ''),
    ),
  ];
  if (ids.length === 0) return 'Select at least one low-risk request first.';
  if (ids.length > MAX_BULK)
    return `A bulk decision takes at most ${MAX_BULK} requests; ${ids.length} were selected.`;
  return ids;
}

/** `POST /requests/bulk`: approve or deny the selected low-risk requests, each on its own. */
export function bulkPages(app: DashApp, deps: DashboardDeps) {
  app.post('/requests/bulk', async (c) => {
    const user = c.get('user');
    requireRole(user, 'approver');
    const form = await formValues(c);
    const decision = lastValue(form.decision);
    const refuse = (message: string) => inboxPage(deps, c, <Alert>{message}</Alert>, 400);
    if (decision !== 'approve' && decision !== 'deny')
      return refuse('Choose Approve selected or Deny selected.');
    const ids = selectedIds(form);
    if (typeof ids === 'string') return refuse(ids);
    const reason = lastValue(form.reason)?.trim().slice(0, 500) || undefined;
    const results: BulkResult[] = [];
    // One after another: each decision is its own compare-and-set, and the order of the report
    // is the order of the page.
    for (const id of ids) results.push(await decideOne(deps, user, id, decision, reason));
    return inboxPage(deps, c, <BulkReport results={results} decision={decision} />);
  });
}
