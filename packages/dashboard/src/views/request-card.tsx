import {
  type ApprovalVote,
  canonicalJson,
  type Permission,
  type PolicyRisk,
  type User,
} from '@agent-otp/core';
import { lastValue } from '../http/form.ts';
import { hasRole } from '../http/session.ts';
import { duration, isEmpty } from './format.ts';
import { type GrantDraft, GrantForm } from './grant-form.tsx';
import { Badge, CopyId, CsrfField, Deadline, Json, RiskBadge, Time } from './parts.tsx';
import { summarize } from './summary.ts';

export interface RequestView {
  permission: Permission;
  agentName: string;
  votes: ApprovalVote[];
  /** The rule's risk from the policy in force (see riskOf). */
  risk: PolicyRisk | null;
}

interface CardProps extends RequestView {
  user: User;
  csrf: string;
  now: number;
  /** Where the decision forms return to. */
  back: 'inbox' | 'detail';
  /** The approver's refused form, shown again with the error at its field. */
  draft?: GrantDraft;
}

/**
 * Whether the inbox offers the request for a bulk decision: pending, low risk, and the user may
 * still vote on it. The bulk handler checks the same on the server (see pages/bulk.tsx).
 */
export function bulkPickable(p: Permission, votes: ApprovalVote[], risk: PolicyRisk | null, user: User) {
  return (
    p.status === 'pending' &&
    risk === 'low' &&
    hasRole(user, 'approver') &&
    !votes.some((v) => v.userId === user.id)
  );
}

/** Everything an approver needs to decide one pending request, and the forms to do it. */
export function RequestCard({
  permission: p,
  agentName,
  votes,
  risk,
  user,
  csrf,
  now,
  back,
  draft,
}: CardProps) {
  const approvals = votes.filter((v) => v.decision === 'approve');
  const reason = typeof p.context.reason === 'string' ? p.context.reason : null;
  const otherContext = Object.fromEntries(Object.entries(p.context).filter(([key]) => key !== 'reason'));
  return (
    <article
      class={`card request${risk ? ` risk-${risk}` : ''}`}
      id={`req-${p.id}`}
      data-permission={p.id}
      data-risk={risk ?? undefined}
    >
      {back === 'inbox' ? (
        <header class="request-head">
          <div class="request-title">
            {bulkPickable(p, votes, risk, user) ? (
              // Tied to the inbox's bulk form by the form attribute: forms cannot nest.
              <label class="bulk-pick">
                <input type="checkbox" name="id" value={p.id} form="bulk-form" data-bulk-low="" /> Select
              </label>
            ) : null}
            <span class="action mono">{p.action}</span>
            <span class="muted"> by </span>
            <strong class="agent">{agentName}</strong> <RiskBadge risk={risk} />
          </div>
          {p.status === 'pending' ? <Deadline ms={p.expiresAt} now={now} /> : <Badge status={p.status} />}
        </header>
      ) : p.status === 'pending' || risk ? (
        // The detail page's heading already names the action, the agent and the status.
        <header class="request-head">
          <RiskBadge risk={risk} />
          {p.status === 'pending' ? <Deadline ms={p.expiresAt} now={now} /> : null}
        </header>
      ) : null}
      <RequestSummary permission={p} agentName={agentName} />
      {reason ? <p class="reason">“{reason}”</p> : null}
      <dl class="facts">
        <dt>Resource</dt>
        <dd class="mono">{p.resource ?? <span class="muted">none</span>}</dd>
        <dt>Policy rule</dt>
        <dd>
          {p.policyRule ?? <span class="muted">none</span>} <RiskBadge risk={risk} />{' '}
          <a
            class="muted small mono"
            href={`/policies/versions/${p.policyVersion}`}
            title="This policy version"
          >
            {p.policyVersion}
          </a>
          {p.status === 'pending' && p.reason ? <div class="small policy-reason">{p.reason}</div> : null}
        </dd>
        <dt>Token lifetime</dt>
        <dd>{duration(p.ttlSeconds)}</dd>
        <dt>Requested</dt>
        <dd>
          <Time ms={p.createdAt} />
        </dd>
        <dt>Approvals</dt>
        <dd class="quorum">
          <progress value={approvals.length} max={p.approvalsRequired}></progress>
          <span>
            {approvals.length} / {p.approvalsRequired}
          </span>
          {approvals.length > 0 ? (
            <span class="muted small"> ({approvals.map((v) => v.userName).join(', ')})</span>
          ) : null}
        </dd>
      </dl>
      <Scopes permission={p} />
      {isEmpty(otherContext) ? null : (
        <div>
          <h3>Context</h3>
          <Json value={otherContext} />
        </div>
      )}
      {p.status === 'pending' ? (
        <Decide permission={p} votes={votes} risk={risk} user={user} csrf={csrf} back={back} draft={draft} />
      ) : null}
      {back === 'inbox' ? (
        <footer class="request-foot">
          <a href={`/requests/${p.id}`}>Details and timeline →</a>
          <CopyId id={p.id} />
        </footer>
      ) : null}
    </article>
  );
}

/**
 * Requested beside granted (or to be granted), so a narrowing shows; one "Scope" box when
 * nothing was narrowed, and only the request when nothing was (or will be) granted.
 */
function Scopes({ permission: p }: { permission: Permission }) {
  const label =
    p.status === 'pending'
      ? 'Scope to be granted'
      : p.decidedAt && p.status !== 'denied'
        ? 'Granted scope'
        : null;
  if (label === null) {
    return (
      <div>
        <h3>Requested scope</h3>
        <Json value={p.requestedScope} />
      </div>
    );
  }
  if (canonicalJson(p.requestedScope ?? {}) === canonicalJson(p.grantedScope ?? {})) {
    return (
      <div class="scope-same">
        <h3>Scope</h3>
        <Json value={p.grantedScope} empty="no constraints" />
        <p class="muted small">
          {p.status === 'pending' ? 'An approval grants it as requested.' : 'Granted as requested.'}
        </p>
      </div>
    );
  }
  return (
    <div class="scopes">
      <div>
        <h3>Requested scope</h3>
        <Json value={p.requestedScope} />
      </div>
      <div>
        <h3>{label}</h3>
        <Json value={p.grantedScope} empty="no constraints" />
      </div>
    </div>
  );
}

/** The request in one sentence, amounts, counts and recipients set off, then the same as chips. */
export function RequestSummary({ permission, agentName }: { permission: Permission; agentName: string }) {
  const { pieces, highlights } = summarize(permission, agentName);
  return (
    <div class="summary">
      <p class="summary-line">
        {pieces.map((piece) =>
          typeof piece === 'string' ? piece : <strong class={`hl hl-${piece.kind}`}>{piece.text}</strong>,
        )}
      </p>
      {highlights.length > 0 ? (
        <ul class="chips">
          {highlights.map((h) => (
            <li class={`chip chip-${h.kind}`}>
              <span class="chip-label">{h.label}</span> <strong>{h.text}</strong>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function Decide({
  permission: p,
  votes,
  risk,
  user,
  csrf,
  back,
  draft,
}: Omit<CardProps, 'agentName' | 'now'>) {
  if (!hasRole(user, 'approver'))
    return <p class="muted small">Read only: viewers cannot approve or deny.</p>;
  const mine = votes.find((v) => v.userId === user.id);
  if (mine) {
    return <p class="muted small">You voted to {mine.decision}; waiting for other approvers.</p>;
  }
  // hx-preserve keeps what the approver typed when the live inbox re-renders around it.
  return (
    <div class="decide" id={`decide-${p.id}`} hx-preserve="true">
      <form method="post" action={`/requests/${p.id}/approve`} class="approve-form">
        <CsrfField token={csrf} />
        <input type="hidden" name="back" value={back} />
        <details class="narrow" open={back === 'detail' || draft !== undefined}>
          <summary>Narrow scope or lifetime</summary>
          <GrantForm permission={p} draft={draft} />
          <label>
            Note (optional)
            <input name="reason" maxlength={500} value={lastValue(draft?.values.reason) ?? ''} />
          </label>
        </details>
        {/* A high-risk approval is only asked for here; the server answers with a confirmation step. */}
        <button type="submit" class="btn btn-approve">
          {risk === 'high' ? 'Approve…' : 'Approve'}
        </button>
      </form>
      <form method="post" action={`/requests/${p.id}/deny`} class="deny-form">
        <CsrfField token={csrf} />
        <input type="hidden" name="back" value={back} />
        <input
          name="reason"
          maxlength={500}
          placeholder="Reason for denying (optional)"
          aria-label="Reason for denying"
        />
        <button type="submit" class="btn btn-deny">
          Deny
        </button>
      </form>
    </div>
  );
}
