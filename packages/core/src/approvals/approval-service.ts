import type { Clock } from '../clock.ts';
import { AgentOtpError } from '../errors.ts';
import type { PermissionEvents } from '../events.ts';
import { permissionEvent } from '../permissions/audit-events.ts';
import type { PermissionService } from '../permissions/permission-service.ts';
import {
  type ClampedKey,
  clampedKeys,
  narrowGrantedScope,
  usesAllowed,
  validateScope,
} from '../scope/index.ts';
import type { Store } from '../store.ts';
import type { Actor, ApprovalVote, Permission, Scope, User } from '../types.ts';
import { foldApprovals, refuseConflictingEdit } from './quorum-scope.ts';

export interface ApprovalServiceDeps {
  store: Store;
  clock: Clock;
  events: PermissionEvents;
  permissions: PermissionService;
}

export interface ApproveInput {
  /** Narrows the scope to grant; can never widen it. */
  scope?: Scope;
  /** Shortens the token lifetime (seconds); can never lengthen it. */
  ttl?: number;
  reason?: string;
}

export type DecisionOutcome = {
  outcome: 'approved' | 'denied' | /** A quorum rule still needs more approvers. */ 'vote_recorded';
  permission: Permission;
  votes: ApprovalVote[];
  /** On approve: the keys of the approver's scope edit that the grant holds stricter. */
  clamped?: ClampedKey[];
};

/**
 * Whether a user may approve or deny requests: the one rule every channel (dashboard, API,
 * Telegram) applies. Being active is checked where the user authenticates.
 */
export function canDecide(user: Pick<User, 'role'>): boolean {
  return user.role === 'admin' || user.role === 'approver';
}

/**
 * Human decisions on pending requests (SPEC §6). Each user votes once; a rule's quorum of
 * distinct approvers approves, one deny denies. The final transition is a compare-and-set, so
 * racing decisions have exactly one outcome.
 */
export function createApprovalService({ store, clock, events, permissions }: ApprovalServiceDeps) {
  const actorOf = (user: User): Actor => ({ type: 'user', id: user.id });

  function requireDecider(user: User) {
    if (!canDecide(user)) {
      throw new AgentOtpError('FORBIDDEN', `a ${user.role} cannot approve or deny requests`);
    }
  }

  async function pendingPermission(id: string): Promise<Permission> {
    const found = await store.getPermission(id);
    if (!found) throw new AgentOtpError('NOT_FOUND', `permission ${id} not found`);
    const permission = await permissions.expireIfDue(found);
    if (permission.status !== 'pending') {
      throw new AgentOtpError('INVALID_STATE', `permission ${id} is already ${permission.status}`, {
        status: permission.status,
      });
    }
    return permission;
  }

  function checkNarrowing(permission: Permission, input: ApproveInput): Scope | null {
    if (
      input.ttl !== undefined &&
      (!Number.isInteger(input.ttl) || input.ttl < 30 || input.ttl > permission.ttlSeconds)
    ) {
      throw new AgentOtpError(
        'VALIDATION_ERROR',
        `ttl may only shorten the lifetime: 30..${permission.ttlSeconds} seconds`,
        {
          field: 'ttl',
        },
      );
    }
    if (input.scope === undefined) return null;
    const checked = validateScope(input.scope, 'approver');
    if (!checked.ok) {
      throw new AgentOtpError('VALIDATION_ERROR', `scope is invalid: ${checked.errors[0]?.message}`, {
        field: 'scope',
        errors: checked.errors,
      });
    }
    return checked.scope;
  }

  /**
   * Records one vote. `granted` is the scope an approving vote with an edit leads to: the audit
   * shows that, with the approver's own values only where they were clamped.
   */
  async function vote(
    user: User,
    permission: Permission,
    record: ApprovalVote,
    granted?: { scope: Scope; clamped: ClampedKey[] },
  ): Promise<ApprovalVote[]> {
    const now = clock.now();
    const audit = permissionEvent('approval.vote', permission, actorOf(user), now, {
      decision: record.decision,
      user: user.name,
      ...(granted ? { scope: granted.scope } : {}),
      ...(granted && granted.clamped.length > 0 ? { clamped: granted.clamped } : {}),
      ...(record.ttlSeconds ? { ttl: record.ttlSeconds } : {}),
      ...(record.reason ? { reason: record.reason } : {}),
    });
    const result = await store.addApprovalVote(record, now, [audit]);
    if (result === 'duplicate') {
      throw new AgentOtpError(
        'CONFLICT',
        `${user.name} has already decided on ${permission.id}; a quorum needs distinct approvers`,
      );
    }
    if (result === 'not_pending') {
      await pendingPermission(permission.id); // throws with the current state
      // The store refused the vote: never report it as recorded, whatever a later read says.
      throw new AgentOtpError('INVALID_STATE', `permission ${permission.id} is no longer pending`);
    }
    events.publish({
      permissionId: permission.id,
      agentId: permission.agentId,
      status: 'pending',
      kind: 'vote',
    });
    return store.listApprovalVotes(permission.id);
  }

  async function approve(user: User, id: string, input: ApproveInput = {}): Promise<DecisionOutcome> {
    requireDecider(user);
    const permission = await pendingPermission(id);
    const base = permission.grantedScope ?? {};
    const scope = checkNarrowing(permission, input);
    // A value the server cannot interpret, once fixed by the request or an earlier approver,
    // cannot be changed by this vote: refused before it is recorded.
    let edited: { scope: Scope; clamped: ClampedKey[] } | undefined;
    if (scope) {
      const prior = foldApprovals(base, await store.listApprovalVotes(id));
      refuseConflictingEdit(prior, scope);
      const after = narrowGrantedScope(prior.granted, scope);
      edited = { scope: after, clamped: clampedKeys(scope, after) };
    }
    const clamped = edited?.clamped ?? [];
    const votes = await vote(
      user,
      permission,
      {
        permissionId: id,
        userId: user.id,
        userName: user.name,
        decision: 'approve',
        scope,
        ttlSeconds: input.ttl ?? null,
        reason: input.reason ?? null,
        createdAt: clock.now(),
      },
      edited,
    );
    // One deny denies: a deny vote recorded before the quorum was counted wins, even while its
    // own transition is still on the way.
    if (votes.some((v) => v.decision === 'deny')) {
      return {
        outcome: 'vote_recorded',
        permission: (await store.getPermission(id)) as Permission,
        votes,
        clamped,
      };
    }
    // Every counted approver's narrowing applies; the lifetime starts now, at approval.
    const { granted, counted, ignored } = foldApprovals(base, votes);
    if (counted.length < permission.approvalsRequired)
      return { outcome: 'vote_recorded', permission, votes, clamped };
    const ttl = Math.min(permission.ttlSeconds, ...counted.map((v) => v.ttlSeconds ?? permission.ttlSeconds));
    const grantClamped = scope ? clampedKeys(scope, granted) : [];
    const now = clock.now();
    // The store refuses if a deny vote has landed meanwhile: one deny denies, whatever the timing.
    const approved = await store.approvePending(
      id,
      {
        status: 'approved',
        grantedScope: granted,
        usesRemaining: usesAllowed(granted),
        decidedAt: now,
        // The granted lifetime replaces the requested one, so every view of the permission
        // shows the lifetime the token really has; the audit keeps the requested one.
        ttlSeconds: ttl,
        expiresAt: now + ttl * 1000,
      },
      [
        permissionEvent('permission.approved', permission, actorOf(user), now, {
          by: counted.map((v) => v.userName),
          scope: granted,
          ttl,
          ...(ttl !== permission.ttlSeconds ? { requestedTtl: permission.ttlSeconds } : {}),
          ...(grantClamped.length > 0 ? { clamped: grantClamped } : {}),
          ...(ignored.length > 0 ? { ignored } : {}),
        }),
      ],
    );
    if (!approved)
      return {
        outcome: 'vote_recorded',
        permission: (await store.getPermission(id)) as Permission,
        votes,
        clamped,
      };
    events.publish({ permissionId: id, agentId: approved.agentId, status: 'approved', kind: 'approved' });
    return { outcome: 'approved', permission: approved, votes, clamped: grantClamped };
  }

  async function deny(user: User, id: string, reason?: string): Promise<DecisionOutcome> {
    requireDecider(user);
    const permission = await pendingPermission(id);
    const votes = await vote(user, permission, {
      permissionId: id,
      userId: user.id,
      userName: user.name,
      decision: 'deny',
      scope: null,
      ttlSeconds: null,
      reason: reason ?? null,
      createdAt: clock.now(),
    });
    const now = clock.now();
    const text = reason ? `denied by ${user.name}: ${reason}` : `denied by ${user.name}`;
    const denied = await store.transitionPermission(
      id,
      ['pending'],
      { status: 'denied', reason: text, decidedAt: now },
      [
        permissionEvent('permission.denied', permission, actorOf(user), now, {
          by: user.name,
          reason: reason ?? null,
        }),
      ],
    );
    if (!denied)
      return { outcome: 'vote_recorded', permission: (await store.getPermission(id)) as Permission, votes };
    events.publish({ permissionId: id, agentId: denied.agentId, status: 'denied', kind: 'denied' });
    return { outcome: 'denied', permission: denied, votes };
  }

  async function get(id: string) {
    const found = await store.getPermission(id);
    if (!found) throw new AgentOtpError('NOT_FOUND', `permission ${id} not found`);
    const permission = await permissions.expireIfDue(found);
    return { permission, votes: await store.listApprovalVotes(id) };
  }

  return { approve, deny, get };
}

export type ApprovalService = ReturnType<typeof createApprovalService>;
