import type { Clock } from '../clock.ts';
import type { PermissionEvents } from '../events.ts';
import type { Policy } from '../policy/types.ts';
import type { SecretHasher } from '../secrets.ts';
import type { Store } from '../store.ts';
import type { Permission, ScopeEnforcement } from '../types.ts';
import type { Adjustment } from './rule-bounds.ts';

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
