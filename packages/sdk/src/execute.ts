import type { AgentOTPClient } from './client.ts';
import { PermissionDeniedError, PermissionExpiredError } from './errors.ts';
import type { RequestPermissionOptions } from './options.ts';
import type { ClosedPermission, Scope } from './types.ts';

/**
 * The guarded operation: receives the (already spent) token and the granted scope, so it can
 * pass the token on or check constraints the server does not enforce.
 *
 * @example
 * ```ts
 * const send: Operation<string> = async (token, scope) => mailer.send({ subject: 'Invoice #123', otpToken: token });
 * ```
 */
export type Operation<T> = (token: string, scope: Scope) => T | Promise<T>;

/**
 * Options of `executeWithPermission`.
 *
 * @example
 * ```ts
 * const options: ExecuteOptions = { actionDetails: { recipient: 'client@example.com', subject: 'Invoice #123' } };
 * ```
 */
export interface ExecuteOptions {
  /** What the operation is about to do, checked by the server against the granted scope. */
  actionDetails?: Record<string, unknown>;
  /** Aborts the request, the wait and the spend (not the operation, which gets no signal). */
  signal?: AbortSignal;
}

/** `AgentOTPClient.executeWithPermission`; the contract is documented there, where editors show it. */
export async function executeWithPermission<T>(
  client: AgentOTPClient,
  request: Omit<RequestPermissionOptions, 'waitForApproval'>,
  operation: Operation<T>,
  options: ExecuteOptions = {},
): Promise<T> {
  const signal = options.signal ?? request.signal;
  const permission = await client.requestPermission({ ...request, signal, waitForApproval: true });
  if (permission.status === 'pending') {
    // waitForApproval resolves only with a decision; this guards the contract, not a real path.
    throw new PermissionDeniedError(`permission ${permission.id} is still pending`, {
      code: 'PERMISSION_PENDING',
    });
  }
  if (permission.status !== 'approved') throw notGranted(permission);
  await client.useToken(permission.id, permission.token, options.actionDetails, { signal });
  return operation(permission.token, permission.scope);
}

function notGranted(permission: ClosedPermission): PermissionDeniedError | PermissionExpiredError {
  const details = {
    permissionId: permission.id,
    status: permission.status,
    reason: permission.reason,
    policy: permission.policy,
  };
  if (permission.status === 'expired') {
    return new PermissionExpiredError(`permission ${permission.id} expired before a decision`, { details });
  }
  return new PermissionDeniedError(`permission ${permission.id} was not granted: ${permission.reason}`, {
    details,
  });
}
