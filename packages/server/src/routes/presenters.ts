import type { Adjustment, Permission, RequestOutcome } from '@agent-otp/core';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface Links {
  approvalUrl(id: string): string;
  eventsUrl(id: string): string;
}

/**
 * Where a waiting client follows a pending request. `webhookUrl` is the events stream again:
 * clients written for the original service call `onPendingApproval` only when it is present,
 * and then wait by polling, so any URL that streams the decision serves them.
 */
function pendingLinks(p: Permission, links: Links) {
  const eventsUrl = links.eventsUrl(p.id);
  return { approvalUrl: links.approvalUrl(p.id), eventsUrl, webhookUrl: eventsUrl };
}

/** A permission as its agent reads it (GET): the token of the read that delivers it, links while pending. */
export function presentRead(p: Permission, links: Links, token?: string) {
  return {
    ...presentPermission(p),
    ...(p.status === 'pending' ? { ...pendingLinks(p, links), approvalsRequired: p.approvalsRequired } : {}),
    ...(token ? { token } : {}),
  };
}

/** The API view of a permission. Never includes the token hash. */
export function presentPermission(p: Permission) {
  return {
    id: p.id,
    agentId: p.agentId,
    action: p.action,
    resource: p.resource,
    status: p.status,
    requestedScope: p.requestedScope,
    scope: p.grantedScope,
    context: p.context,
    ttl: p.ttlSeconds,
    usesRemaining: p.status === 'approved' || p.status === 'used' ? p.usesRemaining : null,
    enforcement: p.enforcement,
    reason: p.reason,
    policy: presentPolicy(p),
    createdAt: iso(p.createdAt) as string,
    decidedAt: iso(p.decidedAt),
    expiresAt: iso(p.expiresAt) as string,
  };
}

export function presentPolicy(p: Permission) {
  return { decision: p.decision, rule: p.policyRule, version: p.policyVersion };
}

export function presentApproved(p: Permission, token: string, adjusted: Adjustment[]) {
  return {
    id: p.id,
    status: 'approved' as const,
    token,
    scope: p.grantedScope ?? {},
    usesRemaining: p.usesRemaining,
    enforcement: p.enforcement,
    expiresAt: iso(p.expiresAt) as string,
    adjusted,
    policy: presentPolicy(p),
  };
}

export function presentPending(p: Permission, links: Links, adjusted: Adjustment[]) {
  return {
    id: p.id,
    status: 'pending' as const,
    ...pendingLinks(p, links),
    expiresAt: iso(p.expiresAt) as string,
    approvalsRequired: p.approvalsRequired,
    adjusted,
    policy: presentPolicy(p),
  };
}

export function presentDenied(p: Permission) {
  return { id: p.id, status: 'denied' as const, reason: p.reason ?? 'denied', policy: presentPolicy(p) };
}

/**
 * The answer to a repeat of an earlier request (same Idempotency-Key, same body): the
 * permission as it is now, as GET shows it (links while pending, a human approval's token on
 * the read that delivers it — never an auto-approval's token, which went out once, with the
 * first answer), with `replayed: true`. 202 while still pending, else 200: a replay creates nothing.
 */
function presentReplay(p: Permission, links: Links, token: string | undefined) {
  const body = { ...presentRead(p, links, token), replayed: true as const };
  return p.status === 'pending' ? { body, status: 202 as const } : { body, status: 200 as const };
}

/** The body and status of `POST /permissions/request` for each outcome (SPEC §5). */
export function presentRequestOutcome(outcome: RequestOutcome, links: Links) {
  switch (outcome.status) {
    case 'approved':
      return {
        body: presentApproved(outcome.permission, outcome.token, outcome.adjusted),
        status: 201 as const,
      };
    case 'pending':
      return { body: presentPending(outcome.permission, links, outcome.adjusted), status: 202 as const };
    case 'denied':
      return { body: presentDenied(outcome.permission), status: 200 as const };
    case 'replayed':
      return presentReplay(outcome.permission, links, outcome.token);
  }
}
