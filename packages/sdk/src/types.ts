/**
 * Public types of the SDK. They mirror the server's API (SPEC §5) with one addition: results of
 * `requestPermission` are a union discriminated by `status`, so `if (p.status === 'approved')`
 * proves to the compiler that `p.token` is a string, as the README example relies on.
 */

/**
 * Every state a permission can be in. `pending` → `approved` | `denied` | `expired` | `cancelled`;
 * `approved` → `used` | `expired` | `revoked`. Terminal states never change.
 *
 * @example
 * ```ts
 * const done: PermissionStatus[] = ['denied', 'expired', 'cancelled', 'used', 'revoked'];
 * ```
 */
export type PermissionStatus =
  | 'pending'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'cancelled'
  | 'used'
  | 'revoked';

/**
 * A JSON object of constraints, e.g. `{ max_emails: 1, subject_pattern: '^Invoice.*' }`.
 *
 * @example
 * ```ts
 * const scope: Scope = { max_size: 1048576, allowed_extensions: ['.txt', '.md'] };
 * ```
 */
export type Scope = Record<string, unknown>;

/**
 * Which policy rule decided, and the version (content hash) of the policy file in force.
 *
 * @example
 * ```ts
 * console.log(`${permission.policy.decision} by rule ${permission.policy.rule ?? '(none)'}`);
 * ```
 */
/**
 * A value the policy rule granted below what was asked: a use count (`max_uses`, `max_emails`,
 * …) above the rule's `maxUses`, or a `ttl` above its `maxTtl`.
 *
 * @example
 * ```ts
 * for (const a of permission.adjusted) console.warn(`${a.field}: asked ${a.requested}, got ${a.granted}`);
 * ```
 */
export interface Adjustment {
  field: string;
  requested: number;
  granted: number;
}

/** How the server treats a scope constraint whose detail `useToken` did not pass. */
export type ScopeEnforcement = 'strict' | 'lenient';

export interface PolicyDecision {
  decision: 'auto_approve' | 'require_approval' | 'deny';
  rule: string | null;
  version: string;
}

/**
 * What an agent asks for. See SPEC §3 for the meaning of each field.
 *
 * @example
 * ```ts
 * const request: PermissionRequest = {
 *   action: 'gmail.send',
 *   resource: 'email:client@example.com',
 *   scope: { max_emails: 1, subject_pattern: '^Invoice.*' },
 *   context: { reason: 'Sending monthly invoice to client' },
 *   ttl: 300,
 * };
 * ```
 */
export interface PermissionRequest {
  /** What the agent wants to do, e.g. `gmail.send`. */
  action: string;
  /** What it acts on, `type:identifier`, e.g. `email:client@example.com`. */
  resource?: string;
  /** Constraints asked for; a policy or an approver may narrow them, never widen. */
  scope?: Scope;
  /** Why, for the approver and the policy (`context.*` conditions). */
  context?: Record<string, unknown>;
  /** Token lifetime in seconds once approved, 30..3600 (server default 300). */
  ttl?: number;
}

/**
 * Where to follow a request that waits for a human.
 *
 * @example
 * ```ts
 * const onPendingApproval = (info: PendingApprovalInfo) => console.log(`Approve at ${info.approvalUrl}`);
 * ```
 */
export interface PendingApprovalInfo {
  id: string;
  /** The request in the dashboard, for a human to decide. */
  approvalUrl: string;
  /** Server-Sent Events stream of the request's state changes. */
  eventsUrl: string;
  /** The approval deadline (ISO 8601); the request expires then if nobody decided. */
  expiresAt: string;
}

/**
 * Granted: spend `token` with `useToken` after (or, safer, before) the protected operation.
 *
 * @example
 * ```ts
 * if (permission.status === 'approved') await otp.useToken(permission.id, permission.token);
 * ```
 */
export interface ApprovedPermission {
  id: string;
  status: 'approved';
  /** The one-time token, `otp_…`. Shown to this agent once; keep it out of logs. */
  token: string;
  /** The granted scope: the request narrowed by the policy template or the approver. */
  scope: Scope;
  /** Uses left; null means the policy granted unlimited uses explicitly. */
  usesRemaining: number | null;
  /**
   * `strict`: `useToken` must pass the details the scope's constraints read, or it is refused
   * (`ScopeViolationError`). `lenient`: absent details are only reported as `unchecked`.
   */
  enforcement: ScopeEnforcement;
  /** When the token stops working (ISO 8601). */
  expiresAt: string;
  /** What the rule clamped below the request (uses, ttl); empty when nothing was. */
  adjusted: Adjustment[];
  policy: PolicyDecision;
  /** True when the server answered a repeat of an earlier request with the same idempotency key. */
  replayed?: boolean;
  approvalUrl?: undefined;
  reason?: undefined;
}

/**
 * Waiting for a human (returned when `waitForApproval` is not set).
 *
 * @example
 * ```ts
 * if (permission.status === 'pending') console.log(`Approve at ${permission.approvalUrl}`);
 * ```
 */
export interface PendingPermission {
  id: string;
  status: 'pending';
  approvalUrl: string;
  eventsUrl: string;
  /** Number of distinct approvers the policy rule requires. */
  approvalsRequired: number;
  /** Nothing is granted yet: always `{}`. */
  scope: Scope;
  /** The approval deadline (ISO 8601). */
  expiresAt: string;
  /** What the rule clamped below the request (uses, ttl) before approvers see it. */
  adjusted: Adjustment[];
  policy: PolicyDecision;
  /** True when the server answered a repeat of an earlier request with the same idempotency key. */
  replayed?: boolean;
  token?: undefined;
  usesRemaining?: undefined;
  reason?: undefined;
}

/**
 * Not granted, or no longer usable: denied (by policy or a human), expired before a decision,
 * cancelled, or — when a wait ends after someone else took the decision's token — used/revoked.
 *
 * @example
 * ```ts
 * if (permission.status === 'denied') console.log(`Denied: ${permission.reason}`);
 * ```
 */
export interface ClosedPermission {
  id: string;
  status: 'denied' | 'expired' | 'cancelled' | 'used' | 'revoked';
  reason: string;
  /** Nothing usable is granted: always `{}`. */
  scope: Scope;
  /** The deadline that applied, or null for a request denied on arrival. */
  expiresAt: string | null;
  policy: PolicyDecision;
  /** True when the server answered a repeat of an earlier request with the same idempotency key. */
  replayed?: boolean;
  token?: undefined;
  usesRemaining?: undefined;
  approvalUrl?: undefined;
}

/**
 * The outcome of `requestPermission`. Narrow it on `status`.
 *
 * @example
 * ```ts
 * const permission: PermissionResult = await otp.requestPermission({ action: 'file.read' });
 * switch (permission.status) {
 *   case 'approved': return readFile(permission.token);
 *   case 'pending': return `ask a human: ${permission.approvalUrl}`;
 *   default: return `not allowed: ${permission.reason}`;
 * }
 * ```
 */
export type PermissionResult = ApprovedPermission | PendingPermission | ClosedPermission;

/**
 * A permission as stored, from `getPermission` and `listPermissions`.
 *
 * @example
 * ```ts
 * const view: PermissionView = await otp.getPermission(id);
 * console.log(view.status, view.requestedScope, view.scope);
 * ```
 */
export interface PermissionView {
  id: string;
  agentId: string;
  action: string;
  resource: string | null;
  status: PermissionStatus;
  /** What the agent asked for. */
  requestedScope: Scope;
  /** What was granted; null until approved. */
  scope: Scope | null;
  context: Record<string, unknown>;
  /** Token lifetime in seconds. */
  ttl: number;
  usesRemaining: number | null;
  /** How `useToken` treats absent details: `strict` refuses, `lenient` reports them as unchecked. */
  enforcement: ScopeEnforcement;
  reason: string | null;
  policy: PolicyDecision;
  createdAt: string;
  decidedAt: string | null;
  /** Approval deadline while pending; token expiry once approved. */
  expiresAt: string;
  /**
   * The token, present exactly once: in the first read after a human approval. Whoever reads it
   * first receives it, so keep it if you see it.
   */
  token?: string;
}

/**
 * A page of `listPermissions`, newest first.
 *
 * @example
 * ```ts
 * let page = await otp.listPermissions({ status: 'approved' });
 * while (page.nextCursor) page = await otp.listPermissions({ cursor: page.nextCursor });
 * ```
 */
export interface PermissionPage {
  data: PermissionView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Result of `verifyToken`: whether the token could be spent now, without spending it.
 *
 * @example
 * ```ts
 * const check = await otp.verifyToken(id, token);
 * if (check.valid && check.unenforced.length > 0) checkMyself(check.scope, check.unenforced);
 * ```
 */
export type VerifyResult =
  | {
      valid: true;
      status: PermissionStatus;
      action: string;
      resource: string | null;
      scope: Scope;
      usesRemaining: number | null;
      expiresAt: string;
      /** How `useToken` treats absent details: `strict` refuses, `lenient` reports them as unchecked. */
      enforcement: ScopeEnforcement;
      /** Scope keys the server does not interpret: the protected operation must check them. */
      unenforced: string[];
    }
  | {
      valid: false;
      /** `INVALID_TOKEN`, `TOKEN_USED`, `TOKEN_EXPIRED`, `TOKEN_REVOKED` or `NOT_APPROVED`. */
      reason: string;
    };

/**
 * Result of `useToken`.
 *
 * @example
 * ```ts
 * const spent: UseResult = await otp.useToken(id, token, { subject: 'Invoice #123' });
 * if (spent.unchecked.length > 0) console.warn('not checked by the server:', spent.unchecked);
 * ```
 */
export interface UseResult {
  success: true;
  usesRemaining: number | null;
  status: PermissionStatus;
  /** Scope constraints whose detail was absent from `actionDetails`, so the server did not check them. */
  unchecked: string[];
}
