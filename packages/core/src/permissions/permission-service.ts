import { waitForChange, watchPermission } from '../events.ts';
import type { Page } from '../store.ts';
import type { Agent, Permission, PermissionStatus } from '../types.ts';
import { createPermissionContext } from './permission-context.ts';
import { createPermissionRequest } from './permission-request.ts';
import type { Delivered, PermissionServiceDeps } from './permission-types.ts';
import { createPermissionUse } from './permission-use.ts';

export { IDEMPOTENCY_KEY_TTL_MS } from './idempotency.ts';
export type {
  Delivered,
  PermissionServiceDeps,
  RequestOptions,
  RequestOutcome,
  UseOutcome,
  VerifyOutcome,
} from './permission-types.ts';
export { type PermissionRequestInput, TTL_BOUNDS } from './request-input.ts';
export type { Adjustment } from './rule-bounds.ts';

/** The permission lifecycle of SPEC §3, for agents. Every change is one compare-and-set at the store. */
export function createPermissionService(deps: PermissionServiceDeps) {
  const { store, clock, events } = deps;
  const ctx = createPermissionContext(deps);
  const { expireIfDue } = ctx;
  const { request } = createPermissionRequest(deps, ctx);
  const { verify, use, revoke } = createPermissionUse(deps, ctx);

  /**
   * Reads a permission of the agent; with `waitMs`, holds the answer while it is pending until
   * it is decided, expires or the wait ends. Delivers a human-approved token on first read.
   */
  async function get(
    agent: Agent,
    id: string,
    wait: { waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<Delivered> {
    let permission = await expireIfDue(await ctx.ownPermission(agent, id));
    const until = clock.now() + (wait.waitMs ?? 0);
    while (permission.status === 'pending' && !wait.signal?.aborted) {
      const left = Math.min(until, permission.expiresAt) - clock.now();
      if (left <= 0) break;
      // Subscribe before re-reading, so a decision between the two cannot be missed.
      const waitStarted = clock.now();
      let woken = false;
      const stop = watchPermission(events, id, () => {
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
    return ctx.deliver(agent, permission);
  }

  async function list(
    agent: Agent,
    query: { status?: PermissionStatus; action?: string; limit: number; cursor?: string },
  ): Promise<Page<Permission>> {
    return store.listPermissions({ ...query, agentId: agent.id });
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
