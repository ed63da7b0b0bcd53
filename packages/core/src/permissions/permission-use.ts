import { keyUsedDetails } from '../agents/key-used.ts';
import { AgentOtpError } from '../errors.ts';
import { checkScopeAtUse, unenforcedConstraints } from '../scope/index.ts';
import { looksLikeToken } from '../secrets.ts';
import type { Agent, JsonObject, Permission } from '../types.ts';
import { permissionEvent, redactSecrets } from './audit-events.ts';
import type { PermissionContext } from './permission-context.ts';
import type { PermissionServiceDeps, UseOutcome, VerifyOutcome } from './permission-types.ts';
import { checkDepth } from './request-input.ts';
import { explainUnusable } from './token-state.ts';

function unusableError(code: ReturnType<typeof explainUnusable>): AgentOtpError {
  return code === 'NOT_APPROVED'
    ? new AgentOtpError('INVALID_STATE', 'the permission has not been approved')
    : new AgentOtpError(code);
}

function notRevocable(id: string, permission: Permission): AgentOtpError {
  return new AgentOtpError(
    'INVALID_STATE',
    `permission ${id} is ${permission.status} and can no longer be revoked`,
    {
      status: permission.status,
    },
  );
}

/** What an agent does with a token once it holds one: verify it, spend a use, or revoke it. */
export function createPermissionUse(deps: PermissionServiceDeps, ctx: PermissionContext) {
  const { store, clock, hasher } = deps;
  const { agentActor, announce, expireIfDue, ownPermission } = ctx;

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
        ...keyUsedDetails(agent),
      }),
    ]);
    return outcome;
  }

  async function refuseUse(agent: Agent, permission: Permission, code: string, details: JsonObject = {}) {
    await store.appendAudit([
      permissionEvent('token.use_refused', permission, agentActor(agent), clock.now(), {
        code,
        ...details,
        ...keyUsedDetails(agent),
      }),
    ]);
  }

  /** Refuses, audited, unless the token is this permission's and the permission is approved. */
  async function checkUsable(agent: Agent, permission: Permission, token: string): Promise<string> {
    if (!looksLikeToken(token) || !permission.tokenHash || !hasher.matches(token, permission.tokenHash)) {
      await refuseUse(agent, permission, 'INVALID_TOKEN');
      throw new AgentOtpError('INVALID_TOKEN');
    }
    if (permission.status !== 'approved') {
      const code = explainUnusable(permission.status);
      await refuseUse(agent, permission, code);
      throw unusableError(code);
    }
    return permission.tokenHash;
  }

  async function use(
    agent: Agent,
    id: string,
    token: string,
    actionDetails?: JsonObject,
  ): Promise<UseOutcome> {
    checkDepth(actionDetails, 'actionDetails');
    let permission = await expireIfDue(await ownPermission(agent, id));
    const tokenHash = await checkUsable(agent, permission, token);
    const check = checkScopeAtUse(permission.grantedScope ?? {}, actionDetails, permission.enforcement);
    if (!check.ok) {
      // A detail too long to match is bad input (400), not a breach of the scope; neither spends.
      const code = check.reason === 'too_long' ? 'VALIDATION_ERROR' : 'SCOPE_VIOLATION';
      const details = { constraint: check.constraint, ...(check.field ? { field: check.field } : {}) };
      await refuseUse(agent, permission, code, { ...details, message: check.message });
      throw new AgentOtpError(code, check.message, details);
    }
    const now = clock.now();
    const used = await store.consumeUse(permission.id, tokenHash, now, [
      permissionEvent('token.used', permission, agentActor(agent), now, {
        ...(actionDetails ? { actionDetails: redactSecrets(actionDetails) as JsonObject } : {}),
        unchecked: check.unchecked,
        ...keyUsedDetails(agent),
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
      throw notRevocable(id, permission);
    }
    const event = permissionEvent(`permission.${target}`, permission, agentActor(agent), now, {
      from: permission.status,
      ...(reason ? { reason } : {}),
      ...keyUsedDetails(agent),
    });
    const changed = await store.transitionPermission(
      id,
      [permission.status],
      { status: target, reason: reason ?? `${target} by the agent`, decidedAt: permission.decidedAt ?? now },
      [event],
    );
    if (!changed) throw notRevocable(id, (await store.getPermission(id)) as Permission);
    announce(changed, target);
    return changed;
  }

  return { verify, use, revoke };
}
