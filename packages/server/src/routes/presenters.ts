import type { Adjustment, Permission } from '@agent-otp/core';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface Links {
  approvalUrl(id: string): string;
  eventsUrl(id: string): string;
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
    approvalUrl: links.approvalUrl(p.id),
    eventsUrl: links.eventsUrl(p.id),
    expiresAt: iso(p.expiresAt) as string,
    approvalsRequired: p.approvalsRequired,
    adjusted,
    policy: presentPolicy(p),
  };
}

export function presentDenied(p: Permission) {
  return { id: p.id, status: 'denied' as const, reason: p.reason ?? 'denied', policy: presentPolicy(p) };
}
