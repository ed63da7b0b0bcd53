import { keyUsedDetails } from '../agents/key-used.ts';
import { newId } from '../ids.ts';
import type { PolicyEvaluation } from '../policy/types.ts';
import { usesAllowed } from '../scope/index.ts';
import { generateToken } from '../secrets.ts';
import type { Agent, AuditEventInput, JsonObject, Permission } from '../types.ts';
import { permissionEvent, redactSecrets } from './audit-events.ts';
import {
  checkIdempotencyKey,
  IDEMPOTENCY_KEY_TTL_MS,
  keyReusedError,
  requestFingerprint,
} from './idempotency.ts';
import type { PermissionContext } from './permission-context.ts';
import type { PermissionServiceDeps, RequestOptions, RequestOutcome } from './permission-types.ts';
import { type CheckedRequest, checkRequestInput, type PermissionRequestInput } from './request-input.ts';
import { type BoundedGrant, boundGrant } from './rule-bounds.ts';

type KeyClaim = { key: string; requestHash: string } | null;

/** One request on its way to an outcome: what the policy decided and what is recorded first. */
interface Draft {
  agent: Agent;
  base: Permission;
  evaluation: PolicyEvaluation;
  requested: AuditEventInput;
  key: KeyClaim;
  now: number;
}

/** A request's key, checked before anything else, with the fingerprint its repeats must match. */
function keyClaim(input: PermissionRequestInput, options: RequestOptions): KeyClaim {
  return options.idempotencyKey === undefined
    ? null
    : { key: checkIdempotencyKey(options.idempotencyKey), requestHash: requestFingerprint(input) };
}

/** Why the policy denied, for the permission and its audit entry. */
function denialReason(evaluation: PolicyEvaluation): string {
  if (evaluation.reason) return `denied by policy: ${evaluation.reason}`;
  return evaluation.rule
    ? `denied by policy rule "${evaluation.rule.name}"`
    : 'no policy rule matched (default deny)';
}

/** The request path of SPEC §3: evaluation, the rule's bounded grant, then one of three outcomes. */
export function createPermissionRequest(deps: PermissionServiceDeps, ctx: PermissionContext) {
  const { store, clock, hasher } = deps;

  /**
   * Stores a new permission; under an idempotency key, the key's earlier permission instead when
   * the key is live (the same request → its replay; another request → IDEMPOTENCY_KEY_REUSED).
   * Null when this call created it.
   */
  async function insert(
    agent: Agent,
    permission: Permission,
    audit: AuditEventInput[],
    key: KeyClaim,
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
        permissionEvent('permission.request_refused', earlier, ctx.agentActor(agent), now, {
          ...details,
          ...keyUsedDetails(agent),
          code: 'IDEMPOTENCY_KEY_REUSED',
        }),
      ]);
      throw keyReusedError(key.key);
    }
    await store.appendAudit([
      permissionEvent('permission.request_replayed', earlier, ctx.agentActor(agent), now, {
        ...details,
        ...keyUsedDetails(agent),
      }),
    ]);
    // Answered as a read: the state now, expired if due, a pending human approval's token
    // delivered once; an auto-approval's token is never minted again.
    const { permission: current, token } = await ctx.deliver(agent, await ctx.expireIfDue(earlier));
    return { status: 'replayed', permission: current, ...(token ? { token } : {}) };
  }

  /** Inserts the outcome's permission and announces it, unless the key answers with a replay. */
  async function settle(
    draft: Draft,
    permission: Permission,
    audit: AuditEventInput[],
    outcome: RequestOutcome,
  ): Promise<RequestOutcome> {
    const replay = await insert(draft.agent, permission, audit, draft.key);
    if (replay) return replay;
    ctx.announce(permission, 'created');
    return outcome;
  }

  /** The permission as requested and decided, before any outcome applies. */
  function basePermission(
    agent: Agent,
    checked: CheckedRequest,
    evaluation: PolicyEvaluation,
    grant: BoundedGrant | null,
    now: number,
  ): Permission {
    const rule = evaluation.rule;
    return {
      id: newId('permission'),
      agentId: agent.id,
      action: checked.action,
      resource: checked.resource,
      requestedScope: checked.scope,
      grantedScope: null,
      context: checked.context,
      ttlSeconds: grant?.ttlSeconds ?? checked.ttlSeconds,
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
  }

  function requestedEvent(
    agent: Agent,
    base: Permission,
    evaluation: PolicyEvaluation,
    grant: BoundedGrant | null,
    now: number,
  ): AuditEventInput {
    const adjusted = grant?.adjusted ?? [];
    return permissionEvent('permission.requested', base, ctx.agentActor(agent), now, {
      action: base.action,
      resource: base.resource,
      scope: base.requestedScope,
      ...keyUsedDetails(agent),
      context: redactSecrets(base.context) as JsonObject,
      ttl: base.ttlSeconds,
      decision: evaluation.decision,
      rule: base.policyRule,
      // Why a rule that could not judge the request's values decided (three-valued evaluation).
      ...(evaluation.reason ? { reason: redactSecrets(evaluation.reason) as string } : {}),
      enforcement: base.enforcement,
      ...(adjusted.length > 0 ? { adjusted } : {}),
    });
  }

  /** auto_approve: the token is minted now and returned with this answer only. */
  function approveNow(draft: Draft, grant: BoundedGrant): Promise<RequestOutcome> {
    const { base, now } = draft;
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
    const approved = permissionEvent('permission.approved', permission, ctx.system, now, {
      by: 'policy',
      scope: grantedScope,
      usesRemaining: permission.usesRemaining,
      expiresAt: permission.expiresAt,
    });
    const outcome: RequestOutcome = { status: 'approved', permission, token, adjusted: grant.adjusted };
    return settle(draft, permission, [draft.requested, approved], outcome);
  }

  /** require_approval: pending until approvers decide or the rule's approval timeout passes. */
  function holdForApproval(draft: Draft, grant: BoundedGrant): Promise<RequestOutcome> {
    const { base, evaluation, now } = draft;
    const timeout = evaluation.rule?.approvalTimeout ?? deps.defaults.approvalTimeoutSeconds;
    // The scope that approval would grant (the template applied) is shown to approvers now;
    // they can narrow it further. The token itself is minted only when the agent reads it.
    const permission: Permission = {
      ...base,
      grantedScope: grant.grantedScope,
      expiresAt: now + timeout * 1000,
      // Shown to approvers: the rule holds the request because it could not judge a value.
      reason: evaluation.reason ? `held for approval: ${evaluation.reason}` : null,
    };
    return settle(draft, permission, [draft.requested], {
      status: 'pending',
      permission,
      adjusted: grant.adjusted,
    });
  }

  function deny(draft: Draft): Promise<RequestOutcome> {
    const { base, now } = draft;
    const reason = denialReason(draft.evaluation);
    const permission: Permission = { ...base, status: 'denied', reason, decidedAt: now };
    const denied = permissionEvent('permission.denied', permission, ctx.system, now, {
      by: 'policy',
      reason: redactSecrets(reason) as string,
    });
    return settle(draft, permission, [draft.requested, denied], { status: 'denied', permission });
  }

  async function request(
    agent: Agent,
    input: PermissionRequestInput,
    options: RequestOptions = {},
  ): Promise<RequestOutcome> {
    const key = keyClaim(input, options);
    const now = clock.now();
    const checked = checkRequestInput(input, deps.defaults.ttlSeconds);
    const { action, resource, scope, context } = checked;
    const evaluation = deps
      .policy()
      .evaluate({ action, resource, scope, context, agent: agent.name, agentId: agent.id });
    // The rule bounds what it grants (uses, lifetime); a denial grants nothing to bound.
    const grant =
      evaluation.decision === 'deny'
        ? null
        : boundGrant(evaluation.rule, {
            scope,
            ttlSeconds: checked.ttlSeconds,
            explicitTtl: input.ttl !== undefined,
          });
    const base = basePermission(agent, checked, evaluation, grant, now);
    const requested = requestedEvent(agent, base, evaluation, grant, now);
    const draft: Draft = { agent, base, evaluation, requested, key, now };
    if (grant && evaluation.decision === 'auto_approve') return approveNow(draft, grant);
    if (grant && evaluation.decision === 'require_approval') return holdForApproval(draft, grant);
    return deny(draft);
  }

  return { request };
}
