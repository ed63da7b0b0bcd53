import type { Clock } from '../clock.ts';
import { AgentOtpError } from '../errors.ts';
import { type PermissionEvents, waitForChange } from '../events.ts';
import { newId } from '../ids.ts';
import type { Policy } from '../policy/types.ts';
import { checkScopeAtUse, unenforcedConstraints, usesAllowed } from '../scope/index.ts';
import { generateToken, looksLikeToken, type SecretHasher } from '../secrets.ts';
import type { Page, Store } from '../store.ts';
import type {
  Actor,
  Agent,
  AuditEventInput,
  JsonObject,
  Permission,
  PermissionStatus,
  ScopeEnforcement,
} from '../types.ts';
import { permissionEvent, redactSecrets } from './audit-events.ts';
import {
  checkIdempotencyKey,
  IDEMPOTENCY_KEY_TTL_MS,
  keyReusedError,
  requestFingerprint,
} from './idempotency.ts';
import { checkDepth, checkRequestInput, type PermissionRequestInput } from './request-input.ts';
import { type Adjustment, boundGrant } from './rule-bounds.ts';
import { explainUnusable } from './token-state.ts';

export { IDEMPOTENCY_KEY_TTL_MS } from './idempotency.ts';
export { type PermissionRequestInput, TTL_BOUNDS } from './request-input.ts';
export type { Adjustment } from './rule-bounds.ts';

export type RequestOutcome =
  /** `adjusted`: what the rule's bounds clamped below the request (see rule-bounds.ts). */
  | { status: 'approved'; permission: Permission; token: string; adjusted: Adjustment[] }
  | { status: 'pending'; permission: Permission; adjusted: Adjustment[] }
  | { status: 'denied'; permission: Permission }
  /**
   * A repeat of an earlier request with the same Idempotency-Key: nothing was created; the
   * permission as it is now. `token` only when this read delivers a human approval's token (as
   * the first GET would); an auto-approval's token went out with the first answer, never again.
   */
  | { status: 'replayed'; permission: Permission; token?: string };

export interface RequestOptions {
  /** Names the request so repeats return its permission (see idempotency.ts); checked here. */
  idempotencyKey?: string | undefined;
}

export type VerifyOutcome =
  | { valid: true; permission: Permission; unenforced: string[] }
  | {
      valid: false;
      reason: 'INVALID_TOKEN' | 'TOKEN_USED' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED' | 'NOT_APPROVED';
    };

/** A permission as its agent reads it; `token` only on the one read that delivers it. */
export interface Delivered {
  permission: Permission;
  token?: string;
}

export interface UseOutcome {
  permission: Permission;
  /** Constraints of the scope whose detail was not given, so they were not checked. */
  unchecked: string[];
}

export interface PermissionServiceDeps {
  store: Store;
  clock: Clock;
  hasher: SecretHasher;
  events: PermissionEvents;
  /** The policy in force now; hot reload swaps what this returns. */
  policy: () => Policy;
  defaults: {
    ttlSeconds: number;
    approvalTimeoutSeconds: number;
    /** For rules that set no `enforcement`; lenient when absent. */
    scopeEnforcement?: ScopeEnforcement;
  };
}

/** The permission lifecycle of SPEC §3, for agents. Every change is one compare-and-set at the store. */
export function createPermissionService(deps: PermissionServiceDeps) {
  const { store, clock, hasher, events } = deps;
  const announce = (p: Permission, kind: string) =>
    events.publish({ permissionId: p.id, agentId: p.agentId, status: p.status, kind });
  const agentActor = (agent: Agent): Actor => ({ type: 'agent', id: agent.id });
  const system: Actor = { type: 'system', id: 'policy' };

  /** The permission, if it exists and belongs to this agent; anything else is NOT_FOUND. */
  async function ownPermission(agent: Agent, id: string): Promise<Permission> {
    const permission = await store.getPermission(id);
    if (!permission || permission.agentId !== agent.id) {
      throw new AgentOtpError('NOT_FOUND', `permission ${id} not found`);
    }
    return permission;
  }

  /** Moves a pending or approved permission past its deadline to `expired`; returns the fresh state. */
  async function expireIfDue(permission: Permission): Promise<Permission> {
    const now = clock.now();
    if ((permission.status !== 'pending' && permission.status !== 'approved') || permission.expiresAt > now) {
      return permission;
    }
    const event = permissionEvent('permission.expired', permission, { type: 'system', id: 'expiry' }, now, {
      from: permission.status,
    });
    const expired = await store.transitionPermission(
      permission.id,
      [permission.status],
      { status: 'expired' },
      [event],
    );
    if (expired) announce(expired, 'expired');
    return expired ?? ((await store.getPermission(permission.id)) as Permission);
  }

  /**
   * Stores a new permission; under an idempotency key, the key's earlier permission instead when
   * the key is live (the same request → its replay; another request → IDEMPOTENCY_KEY_REUSED).
   * Null when this call created it.
   */
  async function insert(
    agent: Agent,
    permission: Permission,
    audit: AuditEventInput[],
    key: { key: string; requestHash: string } | null,
  ): Promise<RequestOutcome | null> {
    if (!key) {
      await store.insertPermission(permission, audit);
      return null;
    }
    const now = permission.createdAt;
    const claim = { agentId: agent.id, ...key, createdAt: now, expiresAt: now + IDEMPOTENCY_KEY_TTL_MS };
    const inserted = await store.insertPermissionIdempotent(permission, audit, claim);
    if (inserted.created) return null;
    const earlier = inserted.permission;
    const details = { idempotencyKey: key.key, replayOf: earlier.id };
    if (inserted.requestHash !== key.requestHash) {
      await store.appendAudit([
        permissionEvent('permission.request_refused', earlier, agentActor(agent), now, {
          ...details,
          code: 'IDEMPOTENCY_KEY_REUSED',
        }),
      ]);
      throw keyReusedError(key.key);
    }
    await store.appendAudit([
      permissionEvent('permission.request_replayed', earlier, agentActor(agent), now, details),
    ]);
    // Answered as a read: the state now, expired if due, a pending human approval's token
    // delivered once; an auto-approval's token is never minted again.
    const { permission: current, token } = await deliver(agent, await expireIfDue(earlier));
    return { status: 'replayed', permission: current, ...(token ? { token } : {}) };
  }

  async function request(
    agent: Agent,
    input: PermissionRequestInput,
    options: RequestOptions = {},
  ): Promise<RequestOutcome> {
    const key =
      options.idempotencyKey === undefined
        ? null
        : { key: checkIdempotencyKey(options.idempotencyKey), requestHash: requestFingerprint(input) };
    const now = clock.now();
    const { action, resource, scope, context, ttlSeconds } = checkRequestInput(
      input,
      deps.defaults.ttlSeconds,
    );
    const evaluation = deps.policy().evaluate({
      action,
      resource,
      scope,
      context,
      agent: agent.name,
      agentId: agent.id,
    });
    const rule = evaluation.rule;
    // The rule bounds what it grants (uses, lifetime); a denial grants nothing to bound.
    const grant =
      evaluation.decision === 'deny'
        ? null
        : boundGrant(rule, { scope, ttlSeconds, explicitTtl: input.ttl !== undefined });
    const adjusted = grant?.adjusted ?? [];
    const base: Permission = {
      id: newId('permission'),
      agentId: agent.id,
      action,
      resource,
      requestedScope: scope,
      grantedScope: null,
      context,
      ttlSeconds: grant?.ttlSeconds ?? ttlSeconds,
      status: 'pending',
      decision: evaluation.decision,
      policyRule: rule?.name ?? null,
      policyVersion: evaluation.policyVersion,
      reason: null,
      tokenHash: null,
      usesRemaining: null,
      approvalsRequired: rule?.approvals ?? 1,
      // Fixed now, with the rule that decided: a later policy reload cannot change a token's rules.
      enforcement: rule?.enforcement ?? deps.defaults.scopeEnforcement ?? 'lenient',
      createdAt: now,
      decidedAt: null,
      expiresAt: now,
      updatedAt: now,
    };
    const requested = permissionEvent('permission.requested', base, agentActor(agent), now, {
      action: base.action,
      resource,
      scope,
      context: redactSecrets(context) as JsonObject,
      ttl: base.ttlSeconds,
      decision: evaluation.decision,
      rule: base.policyRule,
      // Why a rule that could not judge the request's values decided (three-valued evaluation).
      ...(evaluation.reason ? { reason: redactSecrets(evaluation.reason) as string } : {}),
      enforcement: base.enforcement,
      ...(adjusted.length > 0 ? { adjusted } : {}),
    });

    if (grant && evaluation.decision === 'auto_approve') {
      const token = generateToken();
      const { grantedScope } = grant;
      const permission: Permission = {
        ...base,
        status: 'approved',
        grantedScope,
        tokenHash: hasher.hash(token),
        usesRemaining: usesAllowed(grantedScope),
        decidedAt: now,
        expiresAt: now + base.ttlSeconds * 1000,
      };
      const approved = permissionEvent('permission.approved', permission, system, now, {
        by: 'policy',
        scope: grantedScope,
        usesRemaining: permission.usesRemaining,
        expiresAt: permission.expiresAt,
      });
      const replay = await insert(agent, permission, [requested, approved], key);
      if (replay) return replay;
      announce(permission, 'created');
      return { status: 'approved', permission, token, adjusted };
    }
    if (grant && evaluation.decision === 'require_approval') {
      const timeout = rule?.approvalTimeout ?? deps.defaults.approvalTimeoutSeconds;
      // The scope that approval would grant (the template applied) is shown to approvers now;
      // they can narrow it further. The token itself is minted only when the agent reads it.
      const permission: Permission = {
        ...base,
        grantedScope: grant.grantedScope,
        expiresAt: now + timeout * 1000,
        // Shown to approvers: the rule holds the request because it could not judge a value.
        reason: evaluation.reason ? `held for approval: ${evaluation.reason}` : null,
      };
      const replay = await insert(agent, permission, [requested], key);
      if (replay) return replay;
      announce(permission, 'created');
      return { status: 'pending', permission, adjusted };
    }
    const reason = evaluation.reason
      ? `denied by policy: ${evaluation.reason}`
      : rule
        ? `denied by policy rule "${rule.name}"`
        : 'no policy rule matched (default deny)';
    const permission: Permission = { ...base, status: 'denied', reason, decidedAt: now };
    const denied = permissionEvent('permission.denied', permission, system, now, {
      by: 'policy',
      reason: redactSecrets(reason) as string,
    });
    const replay = await insert(agent, permission, [requested, denied], key);
    if (replay) return replay;
    announce(permission, 'created');
    return { status: 'denied', permission };
  }

  /**
   * Hands a human-approved token to the owning agent exactly once: the token is minted now and
   * only its hash stored, by a compare-and-set that one reader wins. Every later read sees the
   * permission without a token.
   */
  async function deliver(agent: Agent, permission: Permission): Promise<Delivered> {
    if (permission.status !== 'approved' || permission.tokenHash !== null) return { permission };
    const token = generateToken();
    const now = clock.now();
    const event = permissionEvent('token.delivered', permission, agentActor(agent), now, {
      expiresAt: permission.expiresAt,
    });
    const claimed = await store.claimTokenDelivery(permission.id, hasher.hash(token), now, [event]);
    if (!claimed) return { permission: (await store.getPermission(permission.id)) as Permission };
    announce(claimed, 'delivered');
    return { permission: claimed, token };
  }

  /**
   * Reads a permission of the agent; with `waitMs`, holds the answer while it is pending until
   * it is decided, expires or the wait ends. Delivers a human-approved token on first read.
   */
  async function get(
    agent: Agent,
    id: string,
    wait: { waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<Delivered> {
    let permission = await expireIfDue(await ownPermission(agent, id));
    const until = clock.now() + (wait.waitMs ?? 0);
    while (permission.status === 'pending' && !wait.signal?.aborted) {
      const left = Math.min(until, permission.expiresAt) - clock.now();
      if (left <= 0) break;
      // Subscribe before re-reading, so a decision between the two cannot be missed.
      const waitStarted = clock.now();
      let woken = false;
      const stop = events.subscribe(id, () => {
        woken = true;
      });
      const changed = waitForChange(events, id, left, wait.signal);
      const fresh = (await store.getPermission(id)) as Permission;
      if (fresh.status === 'pending') await changed;
      stop();
      permission = await expireIfDue((await store.getPermission(id)) as Permission);
      // The whole wait passed with no change and the clock did not move (a fixed test clock):
      // stop, or the loop would wait the same span again forever.
      if (fresh.status === 'pending' && !woken && clock.now() === waitStarted) break;
    }
    return deliver(agent, permission);
  }

  async function list(
    agent: Agent,
    query: { status?: PermissionStatus; action?: string; limit: number; cursor?: string },
  ): Promise<Page<Permission>> {
    return store.listPermissions({ ...query, agentId: agent.id });
  }

  async function verify(agent: Agent, id: string, token: string): Promise<VerifyOutcome> {
    const permission = await expireIfDue(await ownPermission(agent, id));
    const now = clock.now();
    const tokenMatches =
      looksLikeToken(token) && permission.tokenHash !== null && hasher.matches(token, permission.tokenHash);
    const outcome: VerifyOutcome = !tokenMatches
      ? { valid: false, reason: 'INVALID_TOKEN' }
      : permission.status === 'approved'
        ? { valid: true, permission, unenforced: unenforcedConstraints(permission.grantedScope ?? {}) }
        : { valid: false, reason: explainUnusable(permission.status) };
    await store.appendAudit([
      permissionEvent('token.verified', permission, agentActor(agent), now, {
        valid: outcome.valid,
        ...(outcome.valid ? {} : { reason: outcome.reason }),
      }),
    ]);
    return outcome;
  }

  async function refuseUse(agent: Agent, permission: Permission, code: string, details: JsonObject = {}) {
    await store.appendAudit([
      permissionEvent('token.use_refused', permission, agentActor(agent), clock.now(), { code, ...details }),
    ]);
  }

  async function use(
    agent: Agent,
    id: string,
    token: string,
    actionDetails?: JsonObject,
  ): Promise<UseOutcome> {
    checkDepth(actionDetails, 'actionDetails');
    let permission = await expireIfDue(await ownPermission(agent, id));
    if (!looksLikeToken(token) || !permission.tokenHash || !hasher.matches(token, permission.tokenHash)) {
      await refuseUse(agent, permission, 'INVALID_TOKEN');
      throw new AgentOtpError('INVALID_TOKEN');
    }
    if (permission.status !== 'approved') {
      const code = explainUnusable(permission.status);
      await refuseUse(agent, permission, code);
      throw unusableError(code);
    }
    const check = checkScopeAtUse(permission.grantedScope ?? {}, actionDetails, permission.enforcement);
    if (!check.ok) {
      // A detail too long to match is bad input (400), not a breach of the scope; neither spends.
      const code = check.reason === 'too_long' ? 'VALIDATION_ERROR' : 'SCOPE_VIOLATION';
      const details = { constraint: check.constraint, ...(check.field ? { field: check.field } : {}) };
      await refuseUse(agent, permission, code, { ...details, message: check.message });
      throw new AgentOtpError(code, check.message, details);
    }
    const now = clock.now();
    const used = await store.consumeUse(permission.id, permission.tokenHash, now, [
      permissionEvent('token.used', permission, agentActor(agent), now, {
        ...(actionDetails ? { actionDetails: redactSecrets(actionDetails) as JsonObject } : {}),
        unchecked: check.unchecked,
      }),
    ]);
    if (!used) {
      // Someone else spent the last use, or it expired or was revoked in between: say which.
      permission = await expireIfDue((await store.getPermission(id)) as Permission);
      const code = permission.status === 'approved' ? 'TOKEN_USED' : explainUnusable(permission.status);
      await refuseUse(agent, permission, code);
      throw unusableError(code);
    }
    if (used.status === 'used') announce(used, 'used');
    return { permission: used, unchecked: check.unchecked };
  }

  async function revoke(agent: Agent, id: string, reason?: string): Promise<Permission> {
    const permission = await expireIfDue(await ownPermission(agent, id));
    const now = clock.now();
    const target = permission.status === 'pending' ? 'cancelled' : 'revoked';
    if (permission.status !== 'pending' && permission.status !== 'approved') {
      throw new AgentOtpError(
        'INVALID_STATE',
        `permission ${id} is ${permission.status} and can no longer be revoked`,
        {
          status: permission.status,
        },
      );
    }
    const event = permissionEvent(`permission.${target}`, permission, agentActor(agent), now, {
      from: permission.status,
      ...(reason ? { reason } : {}),
    });
    const changed = await store.transitionPermission(
      id,
      [permission.status],
      { status: target, reason: reason ?? `${target} by the agent`, decidedAt: permission.decidedAt ?? now },
      [event],
    );
    if (changed) announce(changed, target);
    if (!changed) {
      const current = (await store.getPermission(id)) as Permission;
      throw new AgentOtpError(
        'INVALID_STATE',
        `permission ${id} is ${current.status} and can no longer be revoked`,
        {
          status: current.status,
        },
      );
    }
    return changed;
  }

  /** Expires every pending or approved permission past its deadline; returns how many. */
  async function expireDue(limit = 500): Promise<number> {
    const due = await store.listDueForExpiry(clock.now(), limit);
    let count = 0;
    for (const permission of due) {
      if ((await expireIfDue(permission)).status === 'expired') count += 1;
    }
    return count;
  }

  /** Forgets idempotency keys past their lifetime (a live key is never removed); returns how many. */
  function purgeIdempotencyKeys(): Promise<number> {
    return store.purgeIdempotencyKeys(clock.now());
  }

  return { request, get, list, verify, use, revoke, expireDue, expireIfDue, purgeIdempotencyKeys };
}

export type PermissionService = ReturnType<typeof createPermissionService>;

function unusableError(code: ReturnType<typeof explainUnusable>): AgentOtpError {
  return code === 'NOT_APPROVED'
    ? new AgentOtpError('INVALID_STATE', 'the permission has not been approved')
    : new AgentOtpError(code);
}
