import type {
  Agent,
  AgentStatus,
  AuditEntry,
  AuditStripeHead,
  Permission,
  PermissionStatus,
  PolicyDecision,
  ScopeEnforcement,
} from '@agent-otp/core';

/** Column shapes as drivers return them (PostgreSQL returns bigint as string). */
type Int = number | string;

export const AGENT_COLUMNS =
  'id, name, status, key_hash, key_prefix, expires_at, previous_key_hash, previous_key_prefix, ' +
  'previous_key_expires_at, created_at, updated_at';

export interface AgentRow {
  id: string;
  name: string;
  status: string;
  key_hash: string;
  key_prefix: string;
  expires_at: Int | null;
  previous_key_hash: string | null;
  previous_key_prefix: string | null;
  previous_key_expires_at: Int | null;
  created_at: Int;
  updated_at: Int;
}

export interface PermissionRow {
  id: string;
  agent_id: string;
  action: string;
  resource: string | null;
  requested_scope: string;
  granted_scope: string | null;
  context: string;
  ttl_seconds: Int;
  status: string;
  decision: string;
  policy_rule: string | null;
  policy_version: string;
  reason: string | null;
  token_hash: string | null;
  uses_remaining: Int | null;
  approvals_required: Int;
  created_at: Int;
  decided_at: Int | null;
  expires_at: Int;
  updated_at: Int;
  enforcement: string;
}

export interface AuditRow {
  seq: Int;
  stripe: Int;
  stripe_seq: Int;
  id: string;
  at: Int;
  event: string;
  actor_type: string;
  actor_id: string;
  agent_id: string | null;
  permission_id: string | null;
  policy_version: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

const num = (value: Int): number => Number(value);
const numOrNull = (value: Int | null): number | null => (value === null ? null : Number(value));

export function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    status: row.status as AgentStatus,
    keyHash: row.key_hash,
    keyPrefix: row.key_prefix,
    expiresAt: numOrNull(row.expires_at),
    previousKey:
      row.previous_key_hash === null || row.previous_key_expires_at === null
        ? null
        : {
            hash: row.previous_key_hash,
            prefix: row.previous_key_prefix ?? '',
            expiresAt: num(row.previous_key_expires_at),
          },
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function toPermission(row: PermissionRow): Permission {
  return {
    id: row.id,
    agentId: row.agent_id,
    action: row.action,
    resource: row.resource,
    requestedScope: JSON.parse(row.requested_scope),
    grantedScope: row.granted_scope === null ? null : JSON.parse(row.granted_scope),
    context: JSON.parse(row.context),
    ttlSeconds: num(row.ttl_seconds),
    status: row.status as PermissionStatus,
    decision: row.decision as PolicyDecision,
    policyRule: row.policy_rule,
    policyVersion: row.policy_version,
    reason: row.reason,
    tokenHash: row.token_hash,
    usesRemaining: numOrNull(row.uses_remaining),
    approvalsRequired: num(row.approvals_required),
    createdAt: num(row.created_at),
    decidedAt: numOrNull(row.decided_at),
    expiresAt: num(row.expires_at),
    updatedAt: num(row.updated_at),
    // Anything but an explicit `strict` reads as the lenient default of older rows.
    enforcement: (row.enforcement === 'strict' ? 'strict' : 'lenient') as ScopeEnforcement,
  };
}

/** Column values in PERMISSION_COLUMNS order. */
export function permissionValues(p: Permission): unknown[] {
  return [
    p.id,
    p.agentId,
    p.action,
    p.resource,
    JSON.stringify(p.requestedScope),
    p.grantedScope === null ? null : JSON.stringify(p.grantedScope),
    JSON.stringify(p.context),
    p.ttlSeconds,
    p.status,
    p.decision,
    p.policyRule,
    p.policyVersion,
    p.reason,
    p.tokenHash,
    p.usesRemaining,
    p.approvalsRequired,
    p.createdAt,
    p.decidedAt,
    p.expiresAt,
    p.updatedAt,
    p.enforcement,
  ];
}

export const PERMISSION_COLUMNS =
  'id, agent_id, action, resource, requested_scope, granted_scope, context, ttl_seconds, status, decision, ' +
  'policy_rule, policy_version, reason, token_hash, uses_remaining, approvals_required, created_at, decided_at, ' +
  'expires_at, updated_at, enforcement';

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: num(row.seq),
    stripe: num(row.stripe),
    stripeSeq: num(row.stripe_seq),
    id: row.id,
    at: num(row.at),
    event: row.event,
    actor: { type: row.actor_type as AuditEntry['actor']['type'], id: row.actor_id },
    agentId: row.agent_id,
    permissionId: row.permission_id,
    policyVersion: row.policy_version,
    details: JSON.parse(row.details),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditHeadRow {
  stripe: Int;
  stripe_seq: Int;
  hash: string;
}

export const toAuditHead = (row: AuditHeadRow): AuditStripeHead => ({
  stripe: num(row.stripe),
  stripeSeq: num(row.stripe_seq),
  hash: row.hash,
});
