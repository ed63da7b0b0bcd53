/** The domain's data shapes. Times are epoch milliseconds; JSON columns are plain objects. */

export type JsonObject = { [key: string]: unknown };

/** A set of constraints on what a token allows (SPEC §3). Keys are constraint names. */
export type Scope = JsonObject;

export const PERMISSION_STATUSES = [
  'pending',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'used',
  'revoked',
] as const;
export type PermissionStatus = (typeof PERMISSION_STATUSES)[number];

/** States that never change again. */
export const TERMINAL_STATUSES: readonly PermissionStatus[] = [
  'denied',
  'expired',
  'cancelled',
  'used',
  'revoked',
];

export type PolicyDecision = 'auto_approve' | 'require_approval' | 'deny';

export const SCOPE_ENFORCEMENTS = ['lenient', 'strict'] as const;
/**
 * How `use` treats a constraint whose detail is absent from `actionDetails`: `lenient` lists it
 * as unchecked and lets the use pass; `strict` refuses the use (SCOPE_VIOLATION). A detail of the
 * wrong type is a violation under both.
 */
export type ScopeEnforcement = (typeof SCOPE_ENFORCEMENTS)[number];

export type AgentStatus = 'active' | 'disabled';

export interface Agent {
  id: string;
  name: string;
  status: AgentStatus;
  /** HMAC-SHA256 of the API key under the server secret; the key itself is never stored. */
  keyHash: string;
  /** First characters of the key, safe to show, to tell keys apart. */
  keyPrefix: string;
  /** When the agent's key stops working (epoch ms), or null for never. */
  expiresAt: number | null;
  /** The key a rotation with a grace period keeps valid until `expiresAt`; null without one. */
  previousKey: PreviousAgentKey | null;
  createdAt: number;
  updatedAt: number;
}

/** The replaced key during a rotation's grace period: hashed like the current key, never plaintext. */
export interface PreviousAgentKey {
  hash: string;
  prefix: string;
  /** The end of the grace period (epoch ms): from then on the key is refused like any unknown key. */
  expiresAt: number;
}

export interface Permission {
  id: string;
  agentId: string;
  action: string;
  resource: string | null;
  /** Scope the agent asked for. */
  requestedScope: Scope;
  /** Scope the token carries: the request narrowed by the policy template (and an approver). */
  grantedScope: Scope | null;
  context: JsonObject;
  /** Token lifetime in seconds, counted from approval. */
  ttlSeconds: number;
  status: PermissionStatus;
  decision: PolicyDecision;
  /** Name of the policy rule that decided, null when no rule matched (default deny). */
  policyRule: string | null;
  policyVersion: string;
  /** Why it was denied, cancelled or revoked, for humans. */
  reason: string | null;
  /** HMAC of the token; null until a token exists. */
  tokenHash: string | null;
  /** Uses left; null means unlimited (only when a policy grants `max_uses: unlimited`). */
  usesRemaining: number | null;
  /** Approval quorum (distinct approvers) for require_approval rules. */
  approvalsRequired: number;
  /** Fixed when the request is decided by policy, so a policy reload never changes it. */
  enforcement: ScopeEnforcement;
  createdAt: number;
  decidedAt: number | null;
  /** Pending: the approval deadline. Approved/used: the token's expiry. */
  expiresAt: number;
  updatedAt: number;
}

export type ActorType = 'agent' | 'user' | 'system';

export interface Actor {
  type: ActorType;
  id: string;
}

/** An audit event before it is chained: the store assigns seq, prevHash and hash. */
export interface AuditEventInput {
  id: string;
  at: number;
  event: string;
  actor: Actor;
  agentId: string | null;
  permissionId: string | null;
  policyVersion: string | null;
  details: JsonObject;
}

/**
 * A stored entry. The log is K hash chains ("stripes", see docs/architecture.md): `stripe` and
 * `stripeSeq` place the entry in its chain (1, 2, 3… per stripe) and `prevHash` is the hash of the
 * entry before it in that stripe; `seq` orders all entries of every stripe for listing and paging.
 */
export interface AuditEntry extends AuditEventInput {
  seq: number;
  stripe: number;
  stripeSeq: number;
  prevHash: string;
  hash: string;
}

/** The newest entry of one stripe, as the store's `audit_heads` table records it. */
export interface AuditStripeHead {
  stripe: number;
  /** 0 (with the genesis hash) while the stripe is empty. */
  stripeSeq: number;
  hash: string;
}

export const USER_ROLES = ['admin', 'approver', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface User {
  id: string;
  name: string;
  role: UserRole;
  status: AgentStatus;
  /** scrypt hash in PHC-like form `scrypt$N$r$p$salt$hash`; never leaves the server. */
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

/** A personal API token of a user (`uat_…`), for scripts and the CLI. */
export interface UserToken {
  id: string;
  userId: string;
  name: string;
  tokenHash: string;
  createdAt: number;
  revokedAt: number | null;
}

/** A browser session: the cookie holds a random secret, the store its HMAC. */
export interface Session {
  id: string;
  userId: string;
  tokenHash: string;
  createdAt: number;
  expiresAt: number;
}

export type VoteDecision = 'approve' | 'deny';

/** One approver's decision on a pending request; one per user and request. */
export interface ApprovalVote {
  permissionId: string;
  userId: string;
  userName: string;
  decision: VoteDecision;
  /** The approver's narrowing of the scope, if any. */
  scope: Scope | null;
  /** The approver's shortening of the token lifetime, in seconds, if any. */
  ttlSeconds: number | null;
  reason: string | null;
  createdAt: number;
}
