import type { Permission, PolicyRisk } from '@agent-otp/core';
import type { DashboardDeps } from '../deps.ts';
import type { RequestView } from '../views/request-card.tsx';
import type { Names } from '../views/timeline.tsx';

/** Id → name for agents and users, read once per page (both lists are small). */
export async function loadNames(deps: DashboardDeps): Promise<Names> {
  const [agents, users] = await Promise.all([deps.agents.list(), deps.users.list()]);
  const agentNames = new Map(agents.map((a) => [a.id, a.name]));
  const userNames = new Map(users.map((u) => [u.id, u.name]));
  return {
    agent: (id) => agentNames.get(id) ?? id,
    user: (id) => userNames.get(id) ?? id,
  };
}

/**
 * The risk the policy in force gives the request's rule, read at display time by the rule name
 * the request recorded: null when the rule declares none or is no longer in the file.
 */
export function riskOf(deps: DashboardDeps, permission: Permission): PolicyRisk | null {
  if (permission.policyRule === null) return null;
  return deps.policy.current().rules.find((r) => r.name === permission.policyRule)?.risk ?? null;
}

/**
 * The pending requests with their votes, after expiring the ones past their deadline; the
 * soonest deadline first, since that is the one that must be decided first.
 */
export async function pendingRequests(deps: DashboardDeps): Promise<RequestView[]> {
  await deps.permissions.expireDue();
  const [page, names] = await Promise.all([
    deps.store.listPermissions({ status: 'pending', limit: 200 }),
    loadNames(deps),
  ]);
  const items = [...page.items].sort((a, b) => a.expiresAt - b.expiresAt || a.createdAt - b.createdAt);
  return Promise.all(
    items.map(async (permission) => ({
      permission,
      agentName: names.agent(permission.agentId),
      votes: await deps.store.listApprovalVotes(permission.id),
      risk: riskOf(deps, permission),
    })),
  );
}
