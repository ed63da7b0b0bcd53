import { keyUsedDetails } from '../agents/key-used.ts';
import { AgentOtpError } from '../errors.ts';
import { generateToken } from '../secrets.ts';
import type { Actor, Agent, Permission } from '../types.ts';
import { permissionEvent } from './audit-events.ts';
import type { Delivered, PermissionServiceDeps } from './permission-types.ts';

/**
 * What every part of the permission service shares: reading an agent's own permission, lazy
 * expiry, the one-time delivery of a human-approved token, and change announcements.
 */
export function createPermissionContext(deps: PermissionServiceDeps) {
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
      ...keyUsedDetails(agent),
    });
    const claimed = await store.claimTokenDelivery(permission.id, hasher.hash(token), now, [event]);
    if (!claimed) return { permission: (await store.getPermission(permission.id)) as Permission };
    announce(claimed, 'delivered');
    return { permission: claimed, token };
  }

  return { announce, agentActor, system, ownPermission, expireIfDue, deliver };
}

export type PermissionContext = ReturnType<typeof createPermissionContext>;
