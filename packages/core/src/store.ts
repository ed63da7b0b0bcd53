import type { TelegramStore } from './channels/telegram-store.ts';
import type { PolicyVersionPage, PolicyVersionQuery, PolicyVersionRecord } from './policy-history/types.ts';
import type { SlackLink, SlackMessage } from './slack/types.ts';
import type {
  Agent,
  ApprovalVote,
  AuditEntry,
  AuditEventInput,
  AuditStripeHead,
  Permission,
  PermissionStatus,
  Session,
  User,
  UserRole,
  UserToken,
} from './types.ts';
import type { AttemptResult, Webhook, WebhookAttempt, WebhookDelivery } from './webhooks/types.ts';

/**
 * The storage port. Every method that changes state is ONE atomic operation: the change and
 * its audit entries commit together or not at all (if the audit entry cannot be written, the
 * change does not happen). Methods documented as compare-and-set have exactly one winner among
 * any number of concurrent callers, on one server instance or many.
 */
export interface Store extends TelegramStore {
  /** Creates tables or applies pending migrations; safe to call twice. */
  migrate(): Promise<void>;
  /** Cheap liveness check of the database connection. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Stores `value` under `key` unless the key already has one, and returns the value that is
   * stored: `value` for the first caller, the earlier value for every later one. Compare-and-set:
   * of concurrent first calls with different values, exactly one value is kept and returned to all.
   */
  claimSetting(key: string, value: string, now: number): Promise<string>;

  // Agents
  /** Inserts an agent. Fails with CONFLICT when the name is taken. */
  createAgent(agent: Agent, audit: AuditEventInput): Promise<void>;
  getAgent(id: string): Promise<Agent | null>;
  getAgentByName(name: string): Promise<Agent | null>;
  /**
   * Looks an agent up by the HMAC of its API key: its current key or its previous key (one
   * indexed query). Whether a previous key's grace is still running, and whether the agent has
   * expired, is for the caller to judge against the record: the store returns it either way.
   */
  getAgentByKeyHash(keyHash: string): Promise<Agent | null>;
  listAgents(): Promise<Agent[]>;
  /**
   * Replaces the key hash (rotation) in one conditional write. Without `previousKeyUntil` the
   * old key stops working in the same commit and any previous key is dropped; with it, the
   * replaced key becomes the previous key, valid until that time (replacing any older previous
   * key). Null when absent.
   */
  updateAgentKey(
    id: string,
    keyHash: string,
    keyPrefix: string,
    now: number,
    audit: AuditEventInput,
    previousKeyUntil?: number | null,
  ): Promise<Agent | null>;
  /** Sets or clears (null) the agent's expiry, with its audit entry. Null when absent. */
  setAgentExpiry(
    id: string,
    expiresAt: number | null,
    now: number,
    audit: AuditEventInput,
  ): Promise<Agent | null>;
  /**
   * Ends a grace period early: compare-and-set on a previous key whose grace runs past `now`,
   * dropped with its audit entry. Null when the agent is absent or has no such key.
   */
  revokePreviousAgentKey(id: string, now: number, audit: AuditEventInput): Promise<Agent | null>;
  /**
   * Disables an agent and ends what it holds, in one transaction: its `approved` permissions
   * whose lifetime has not run out become `revoked`, its unexpired `pending` ones `cancelled`
   * (both with `reason`, `decidedAt` kept or set to `now`), and the entries `audit` builds from
   * what was ended are written with them, or nothing happens. The key hash stays, so the old key
   * is answered "disabled"; a previous key of a grace period is dropped at once. Only enableAgent, with a new key, makes the agent active again.
   * Null when absent.
   */
  disableAgent(
    id: string,
    now: number,
    reason: string,
    audit: (ended: AgentDisabled) => AuditEventInput[],
  ): Promise<AgentDisabled | null>;
  /**
   * Re-enables an agent with a NEW key in one step: status `active` and the key hash replaced
   * together (no previous key kept), so a key from before the disable can never work again.
   * Null when absent.
   */
  enableAgent(
    id: string,
    keyHash: string,
    keyPrefix: string,
    now: number,
    audit: AuditEventInput,
  ): Promise<Agent | null>;

  // Permissions
  /**
   * Inserts a permission with its audit entries. Fails with AGENT_DISABLED, writing nothing, when
   * its agent is not active in that transaction: a request racing disableAgent either commits
   * first (and is ended by it) or is refused, so no live permission outlives the disable.
   */
  insertPermission(permission: Permission, audit: AuditEventInput[]): Promise<void>;
  /**
   * Inserts a permission under an idempotency key, race-free: in ONE transaction it claims
   * `(key.agentId, key.key)` (a unique key in the database; a claim whose `expiresAt` has passed
   * is replaced) and, only if the claim is new, inserts the permission and its audit entries as
   * insertPermission does. When a live claim exists — committed first by a concurrent caller
   * too — nothing is written and the permission it names is returned with the stored request
   * fingerprint, for the caller to compare. Of N concurrent calls with one key exactly one
   * creates; the others all return that one's permission. Keys of different agents never meet.
   */
  insertPermissionIdempotent(
    permission: Permission,
    audit: AuditEventInput[],
    key: IdempotencyClaim,
  ): Promise<IdempotentInsert>;
  /** Deletes idempotency claims whose `expiresAt` has passed; returns how many. */
  purgeIdempotencyKeys(now: number): Promise<number>;
  getPermission(id: string): Promise<Permission | null>;
  listPermissions(query: PermissionQuery): Promise<Page<Permission>>;
  /**
   * Compare-and-set on the status: applies `patch` only if the current status is one of
   * `from`. Returns the updated permission,
   * or null when the condition failed (someone else changed it first, or it does not exist).
   */
  transitionPermission(
    id: string,
    from: readonly PermissionStatus[],
    patch: PermissionPatch,
    audit: AuditEventInput[],
  ): Promise<Permission | null>;
  /**
   * Compare-and-set spend of one use: succeeds only while status is `approved`, the token
   * hash matches `tokenHash`, `expiresAt > now` and uses remain. The last use moves the status
   * to `used`. Exactly one of N concurrent callers wins the last use. Returns the updated
   * permission, or null when the condition failed (the caller re-reads to explain why).
   */
  consumeUse(
    id: string,
    tokenHash: string,
    now: number,
    audit: AuditEventInput[],
  ): Promise<Permission | null>;
  /** Pending or approved permissions whose `expiresAt` has passed, oldest first. */
  listDueForExpiry(now: number, limit: number): Promise<Permission[]>;

  /**
   * Compare-and-set hand-over of a human-approved token: stores `tokenHash` only while the
   * permission is `approved` with no token yet. Exactly one of N concurrent readers wins and
   * delivers the token; the others get null.
   */
  claimTokenDelivery(
    id: string,
    tokenHash: string,
    now: number,
    audit: AuditEventInput[],
  ): Promise<Permission | null>;

  // Approval votes
  /**
   * Records one user's vote while the permission is `pending` and before its deadline (`now`).
   * 'duplicate' when this user already voted on it; 'not_pending' when it is decided or expired.
   */
  addApprovalVote(
    vote: ApprovalVote,
    now: number,
    audit: AuditEventInput[],
  ): Promise<'recorded' | 'duplicate' | 'not_pending'>;
  listApprovalVotes(permissionId: string): Promise<ApprovalVote[]>;
  /**
   * Compare-and-set approval by humans: applies `patch` only while the permission is `pending`
   * AND no deny vote is recorded for it, so one deny always denies, even a deny recorded while
   * an approver was counting votes. Null when the condition failed.
   */
  approvePending(id: string, patch: PermissionPatch, audit: AuditEventInput[]): Promise<Permission | null>;

  // Users, their API tokens and browser sessions
  /** Fails with CONFLICT when the name is taken. */
  createUser(user: User, audit: AuditEventInput): Promise<void>;
  getUser(id: string): Promise<User | null>;
  getUserByName(name: string): Promise<User | null>;
  listUsers(): Promise<User[]>;
  /** Patches a user. Disabling is not a patch: it goes through disableUser, which ends credentials. */
  updateUser(id: string, patch: UserPatch, now: number, audit: AuditEventInput): Promise<User | null>;
  /**
   * Compare-and-set on a user's role: from `from` to `to`, with `audit`, in one transaction.
   * Taking the admin role from an active admin also requires another active admin, checked
   * under a lock on every active admin, so two admins demoting each other at once leave one.
   * Null when the user is absent, no longer has role `from`, or is the last active admin.
   */
  changeUserRole(
    id: string,
    from: UserRole,
    to: UserRole,
    now: number,
    audit: AuditEventInput,
  ): Promise<User | null>;
  /**
   * Disables a user and ends its credentials for good, in one transaction: every session is
   * deleted, every unrevoked personal token revoked (`revokedAt = now`), and the entries `audit`
   * builds from what was ended are written with them, or nothing happens. Enabling later
   * (updateUser) brings none of them back. Null when absent.
   */
  /**
   * Sets a user's password hash and ends their browser sessions, all but `keepSessionId` (the
   * session that changed its own password), in one transaction with the audit entries built
   * from what was ended. Personal tokens are untouched. Null when absent.
   */
  setUserPassword(
    id: string,
    passwordHash: string,
    now: number,
    keepSessionId: string | null,
    audit: (ended: { sessionsEnded: number }) => AuditEventInput[],
  ): Promise<{ user: User; sessionsEnded: number } | null>;
  disableUser(
    id: string,
    now: number,
    audit: (ended: UserDisabled) => AuditEventInput[],
  ): Promise<UserDisabled | null>;
  /**
   * Creates a personal token; like createSession, fails with FORBIDDEN, writing nothing, unless
   * the user is active in that transaction, so no credential minted during disableUser survives it.
   */
  createUserToken(token: UserToken, audit: AuditEventInput): Promise<void>;
  /** The token and its user, for an unrevoked token with this hash. */
  getUserTokenByHash(tokenHash: string): Promise<UserToken | null>;
  listUserTokens(userId: string): Promise<UserToken[]>;
  /** Revokes a token (sets revokedAt); null when absent or already revoked. */
  revokeUserToken(id: string, now: number, audit: AuditEventInput): Promise<UserToken | null>;
  createSession(session: Session, audit: AuditEventInput): Promise<void>;
  getSessionByHash(tokenHash: string): Promise<Session | null>;
  deleteSession(id: string, audit: AuditEventInput | null): Promise<void>;
  deleteExpiredSessions(now: number): Promise<number>;

  // Audit
  /** Appends entries (events that change no state: verify, refused use, logins…). */
  appendAudit(entries: AuditEventInput[]): Promise<void>;
  /** Entries in `seq` order (or one stripe's chain order with `stripe`), filtered; `afterSeq` pages forward. */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;

  // Outgoing webhooks and their delivery queue
  /** Inserts a webhook with its audit entry. */
  createWebhook(webhook: Webhook, audit: AuditEventInput): Promise<void>;
  getWebhook(id: string): Promise<Webhook | null>;
  listWebhooks(): Promise<Webhook[]>;
  /**
   * Deletes a webhook with its queued deliveries and their attempts, and writes `audit`, in one
   * transaction: nothing of it is sent afterwards, by any worker. False when absent.
   */
  deleteWebhook(id: string, audit: AuditEventInput): Promise<boolean>;
  /**
   * Queues deliveries. A delivery whose (webhookId, eventId) is already queued is skipped, so
   * the same event announced twice (several instances hearing one change) is sent once; so is
   * one whose webhook no longer exists. Returns how many were queued.
   */
  enqueueDeliveries(deliveries: WebhookDelivery[]): Promise<number>;
  /**
   * Deliveries ready for an attempt: `pending` with `nextAttemptAt <= now`, or `delivering` whose
   * lease ran out (its worker died mid-attempt). Oldest first.
   */
  listDueDeliveries(now: number, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Compare-and-set claim of the next attempt: succeeds only while the delivery is still due
   * (as listDueDeliveries says) AND has made exactly `attempts` attempts. It becomes
   * `delivering` until `leaseUntil`, with `attempts + 1`. Of N concurrent claimers exactly one
   * wins each attempt; the others get null.
   */
  claimDelivery(
    id: string,
    attempts: number,
    now: number,
    leaseUntil: number,
  ): Promise<WebhookDelivery | null>;
  /**
   * Records an attempt and, when the delivery is still `delivering` that attempt (no other
   * worker took it over), moves it to `result.status`. One transaction. Returns whether the
   * delivery's state was changed.
   */
  completeDeliveryAttempt(result: AttemptResult, now: number): Promise<boolean>;
  /** A webhook's deliveries, newest first. */
  listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]>;
  /** Every attempt of a delivery, in order. */
  listDeliveryAttempts(deliveryId: string): Promise<WebhookAttempt[]>;

  // Slack approvals
  /**
   * Links a user to a Slack account, replacing the user's earlier link, with its audit entry.
   * Fails with CONFLICT when the Slack account is linked to another user.
   */
  linkSlackUser(link: SlackLink, audit: AuditEventInput): Promise<void>;
  /** Removes a user's link; false when there was none. */
  unlinkSlackUser(userId: string, audit: AuditEventInput): Promise<boolean>;
  getSlackLinkBySlackUser(slackUserId: string): Promise<SlackLink | null>;
  listSlackLinks(): Promise<SlackLink[]>;
  /** Records a sent approval message; a second one for the same permission and account is ignored. */
  saveSlackMessage(message: SlackMessage): Promise<void>;
  listSlackMessages(permissionId: string): Promise<SlackMessage[]>;
  /** The head of every stripe of the audit log (its stripe count is the number of rows). */
  auditHeads(): Promise<AuditStripeHead[]>;

  // Policy history
  /**
   * Records a policy version unless it is already recorded (insert-or-ignore: concurrent calls
   * for one version never fail, and the first record is kept), and appends the audit entry
   * `audit(firstTime)` in the same transaction, either way. Returns whether it was the first time.
   */
  recordPolicyVersion(
    record: PolicyVersionRecord,
    audit: (firstTime: boolean) => AuditEventInput,
  ): Promise<boolean>;
  getPolicyVersion(version: string): Promise<PolicyVersionRecord | null>;
  /** Recorded versions, newest first (by first time in force), without their sources. */
  listPolicyVersions(query: PolicyVersionQuery): Promise<PolicyVersionPage>;
  /** The version recorded just before this one, or null for the first (or an unknown) version. */
  policyVersionBefore(version: string): Promise<PolicyVersionRecord | null>;
}

/** An idempotency key as stored: scoped to its agent, with the fingerprint of the request it named. */
export interface IdempotencyClaim {
  agentId: string;
  key: string;
  /** sha256 of the canonical request body (see permissions/idempotency.ts). */
  requestHash: string;
  createdAt: number;
  /** The key is free again from this instant. */
  expiresAt: number;
}

/** What insertPermissionIdempotent did: created the permission, or found the key's earlier one. */
export type IdempotentInsert =
  | { created: true; permission: Permission }
  | { created: false; permission: Permission; requestHash: string };

/** What disabling an agent ended (see Store.disableAgent). */
export interface AgentDisabled {
  agent: Agent;
  /** Approved permissions now `revoked`: their tokens are refused from now on. */
  revoked: Permission[];
  /** Pending requests now `cancelled`. */
  cancelled: Permission[];
}

/** What disabling a user ended (see Store.disableUser). */
export interface UserDisabled {
  user: User;
  /** How many browser sessions were deleted. */
  sessionsEnded: number;
  /** The personal API tokens revoked by it, with their new `revokedAt`. */
  tokensRevoked: UserToken[];
}

/** The fields updateUser may change; `status` only to `active` (see Store.disableUser). */
export type UserPatch = Partial<Pick<User, 'role' | 'passwordHash'>> & { status?: 'active' };

export type PermissionPatch = Partial<
  Pick<
    Permission,
    | 'status'
    | 'grantedScope'
    | 'reason'
    | 'tokenHash'
    | 'usesRemaining'
    | 'decidedAt'
    | 'expiresAt'
    | 'ttlSeconds'
  >
>;

export interface PermissionQuery {
  agentId?: string;
  /** Several statuses at once (e.g. the decided ones); combined with `status` by AND. */
  statuses?: readonly PermissionStatus[];
  status?: PermissionStatus;
  action?: string;
  /** Created at or after (epoch ms). */
  since?: number;
  /** Created before (epoch ms). */
  until?: number;
  /**
   * Case-insensitive substring of the id, action, resource or reason; `%` and `_` are literal
   * characters here, not wildcards.
   */
  text?: string;
  /** Page size, 1..200. */
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface AuditQuery {
  afterSeq?: number;
  /** Only entries with a lower seq; with `order: 'desc'` this pages backwards from the head. */
  beforeSeq?: number;
  /** Chain order (`asc`, the default) or newest first (`desc`); `limit` applies after ordering. */
  order?: 'asc' | 'desc';
  limit: number;
  agentId?: string;
  permissionId?: string;
  event?: string;
  since?: number;
  until?: number;
  /**
   * Only this stripe's entries, ordered by `stripeSeq` (its chain order); `afterStripeSeq` pages
   * through it. Within a stripe that order is also `seq` order.
   */
  stripe?: number;
  afterStripeSeq?: number;
}
