import { AgentOTPError, ServerError } from './errors.ts';
import type {
  Adjustment,
  PermissionResult,
  PermissionView,
  PolicyDecision,
  Scope,
  ScopeEnforcement,
} from './types.ts';

/**
 * Shapes server payloads into the SDK's result types. The server is trusted for values but not
 * for shape: the fields a caller relies on for security (a string token on approval, a known
 * status) are checked, and a mismatch is an error rather than a half-filled result.
 */

type Payload = Record<string, unknown>;

function unexpected(what: string): ServerError {
  return new ServerError('UNEXPECTED_RESPONSE', `the server sent ${what}; is baseUrl an Agent OTP server?`);
}

function str(payload: Payload, key: string): string {
  const value = payload[key];
  if (typeof value !== 'string') throw unexpected(`no string "${key}"`);
  return value;
}

function policyOf(payload: Payload): PolicyDecision {
  const policy = payload.policy as PolicyDecision | undefined;
  if (typeof policy !== 'object' || policy === null) throw unexpected('no "policy"');
  return policy;
}

function scopeOf(payload: Payload): Scope {
  const scope = payload.scope;
  return typeof scope === 'object' && scope !== null ? (scope as Scope) : {};
}

const usesOf = (payload: Payload): number | null =>
  typeof payload.usesRemaining === 'number' ? payload.usesRemaining : null;

/** What the rule clamped; a server that predates the field clamped nothing it reported. */
const adjustedOf = (value: unknown): Adjustment[] => (Array.isArray(value) ? (value as Adjustment[]) : []);

/** A server that predates the field enforced leniently. */
const enforcementOf = (value: unknown): ScopeEnforcement => (value === 'strict' ? 'strict' : 'lenient');

/** The body of `POST /permissions/request` (201 approved, 202 pending, 200 denied). */
export function fromRequestResponse(data: unknown): PermissionResult {
  const payload = (data ?? {}) as Payload;
  if (payload.replayed === true) return fromReplay(payload);
  const id = str(payload, 'id');
  const policy = policyOf(payload);
  switch (payload.status) {
    case 'approved':
      return {
        id,
        status: 'approved',
        token: str(payload, 'token'),
        scope: scopeOf(payload),
        usesRemaining: usesOf(payload),
        enforcement: enforcementOf(payload.enforcement),
        expiresAt: str(payload, 'expiresAt'),
        adjusted: adjustedOf(payload.adjusted),
        policy,
      };
    case 'pending':
      return {
        id,
        status: 'pending',
        approvalUrl: str(payload, 'approvalUrl'),
        eventsUrl: str(payload, 'eventsUrl'),
        approvalsRequired: typeof payload.approvalsRequired === 'number' ? payload.approvalsRequired : 1,
        scope: {},
        expiresAt: str(payload, 'expiresAt'),
        adjusted: adjustedOf(payload.adjusted),
        policy,
      };
    case 'denied':
      return { id, status: 'denied', reason: str(payload, 'reason'), scope: {}, expiresAt: null, policy };
    default:
      throw unexpected(`an unknown status ${JSON.stringify(payload.status)}`);
  }
}

/**
 * A repeat of an earlier request (same idempotency key): the permission as it is now. Pending
 * reads like a fresh pending answer; anything else like a decided read, so an approval whose
 * token went out with the first answer rejects with TOKEN_NOT_DELIVERED rather than resolving
 * without a token.
 */
function fromReplay(payload: Payload): PermissionResult {
  const { replayed: _, ...rest } = payload;
  const result = payload.status === 'pending' ? fromRequestResponse(rest) : fromDecidedView(asView(rest));
  return { ...result, replayed: true };
}

/**
 * The final state after waiting for a decision, from the permission view. A human approval
 * carries the token in the first read only; if this client did not get it (another reader with
 * the same key took it), there is nothing usable to return, so that is an error, not a result
 * with a missing token.
 */
export function fromDecidedView(view: PermissionView): PermissionResult {
  const policy = view.policy;
  switch (view.status) {
    case 'approved':
      if (typeof view.token !== 'string') {
        throw new AgentOTPError(
          'TOKEN_NOT_DELIVERED',
          `permission ${view.id} was approved, but its token was delivered to an earlier reader; request a new permission`,
          { details: { permissionId: view.id } },
        );
      }
      return {
        id: view.id,
        status: 'approved',
        token: view.token,
        scope: view.scope ?? {},
        usesRemaining: view.usesRemaining,
        enforcement: enforcementOf(view.enforcement),
        expiresAt: view.expiresAt,
        // A permission view does not carry it; requestPermission fills in the pending answer's.
        adjusted: [],
        policy,
      };
    case 'pending':
      throw unexpected(`permission ${view.id} as still pending after the wait ended`);
    case 'denied':
    case 'expired':
    case 'cancelled':
    case 'used':
    case 'revoked':
      return {
        id: view.id,
        status: view.status,
        reason: view.reason ?? view.status,
        scope: {},
        expiresAt: view.expiresAt,
        policy,
      };
    default:
      throw unexpected(`an unknown status ${JSON.stringify(view.status)}`);
  }
}

/** Checks the few fields of a permission view that the SDK branches on. */
export function asView(data: unknown): PermissionView {
  const payload = (data ?? {}) as Payload;
  str(payload, 'id');
  str(payload, 'status');
  policyOf(payload);
  return payload as unknown as PermissionView;
}
