import { createPollingWaiter, type DecisionWaiter, waitWithDeadline } from './decision-waiter.ts';
import { AgentOTPError, TimeoutError } from './errors.ts';
import { type ExecuteOptions, executeWithPermission, type Operation } from './execute.ts';
import {
  type AgentOTPClientOptions,
  type CallOptions,
  type ListPermissionsQuery,
  type RequestPermissionOptions,
  resolveSettings,
  type WaitOptions,
} from './options.ts';
import { asView, fromDecidedView, fromRequestResponse } from './results.ts';
import { createSseWaiter } from './sse-waiter.ts';
import { createTransport, newIdempotencyKey, type Transport } from './transport.ts';
import type { PermissionPage, PermissionResult, PermissionView, UseResult, VerifyResult } from './types.ts';

const path = (id: string, action = '') => `/permissions/${encodeURIComponent(id)}${action}`;

/**
 * Client of an Agent OTP server for one agent (one API key).
 *
 * @example
 * ```ts
 * import { AgentOTPClient } from '@orrisai/agent-otp-sdk';
 *
 * const otp = new AgentOTPClient({ apiKey: process.env.AGENT_OTP_KEY });
 * const permission = await otp.requestPermission({
 *   action: 'gmail.send',
 *   resource: 'email:client@example.com',
 *   scope: { max_emails: 1, subject_pattern: '^Invoice.*' },
 *   waitForApproval: true,
 * });
 * if (permission.status === 'approved') {
 *   await sendEmail({ to: 'client@example.com', subject: 'Invoice #123', otpToken: permission.token });
 *   await otp.useToken(permission.id, permission.token);
 * }
 * ```
 */
export class AgentOTPClient {
  readonly #transport: Transport;
  readonly #waiter: DecisionWaiter;

  /** @throws AuthenticationError (`MISSING_API_KEY`) when `apiKey` is absent or not `ak_…`. */
  constructor(options: AgentOTPClientOptions) {
    const transport = createTransport(resolveSettings(options));
    this.#transport = transport;
    const longPoll = createPollingWaiter(async (id, waitSeconds, signal) => {
      const body = await transport.send({
        method: 'GET',
        path: path(id),
        query: { wait: waitSeconds },
        retry: 'safe',
        signal,
        extraTimeoutMs: waitSeconds * 1000,
      });
      return asView(body.data);
    });
    // The stream URL is built from baseUrl, not taken from the server's `eventsUrl`: the API key
    // goes only to the server the caller configured, and `eventsUrl` names the server's public
    // address, which an agent on the inside may not be able to reach.
    this.#waiter = createSseWaiter(
      (id, signal) => transport.openStream(path(id, '/events'), signal),
      longPoll,
    );
  }

  /**
   * Asks for a one-time permission. Resolves with the outcome as a value — approved (with the
   * token), pending, or denied/expired/cancelled — and throws only when the call itself failed.
   *
   * With `waitForApproval`, a pending request calls `onPendingApproval` and then waits for the
   * human decision. If that wait ends without one (`timeout`, `signal`, or `onPendingApproval`
   * throwing), the request is cancelled on the server before the error is rethrown: nobody is
   * left being asked to approve something no agent waits for any more.
   *
   * @example
   * ```ts
   * const permission = await otp.requestPermission({
   *   action: 'bank.transfer',
   *   scope: { max_amount: 100 },
   *   waitForApproval: true,
   *   timeout: 5 * 60_000,
   *   onPendingApproval: (info) => console.log(`Waiting for approval: ${info.approvalUrl}`),
   * });
   * if (permission.status !== 'approved') console.log(`not granted: ${permission.status}`);
   * ```
   */
  async requestPermission(options: RequestPermissionOptions): Promise<PermissionResult> {
    const { waitForApproval, timeout, onPendingApproval, signal } = options;
    const result = await this.#submit(options);
    if (result.status !== 'pending' || !waitForApproval) return result;
    const { id, approvalUrl, eventsUrl, expiresAt } = result;
    // Bounded, and without the caller's signal (which may be the reason we are here).
    const cancel = () =>
      this.revoke(id, 'the agent stopped waiting for a decision', {
        signal: AbortSignal.timeout(5000),
      }).catch(() => undefined);
    try {
      await onPendingApproval?.({ id, approvalUrl, eventsUrl, expiresAt });
    } catch (error) {
      await cancel();
      throw error;
    }
    try {
      const final = await this.waitForDecision(id, { timeout, signal });
      // What the rule clamped was said in the pending answer; keep it with the approval.
      return final.status === 'approved' ? { ...final, adjusted: result.adjusted } : final;
    } catch (error) {
      // Only when the agent gave up. A network failure or an undelivered token leaves the
      // request alone: it may already be decided, and revoking would hide what happened.
      if (error instanceof TimeoutError || signal?.aborted) await cancel();
      throw error;
    }
  }

  /**
   * Sends the request under an idempotency key — the caller's, or a new one per call — so the
   * transport may repeat it after any failure: a repeat the server already saw answers with the
   * same permission. One case needs more: our own first attempt was auto-approved but its answer
   * (the only copy of the token) was lost, so the repeat reports an approval without a token.
   * That permission is then revoked, being unusable, and the request made once more under a new
   * key. A caller's own key may be shared with a parallel call that holds the token, so then the
   * TOKEN_NOT_DELIVERED error is left to the caller.
   */
  async #submit(options: RequestPermissionOptions, lostOnce = false): Promise<PermissionResult> {
    const { action, resource, scope, context, ttl, signal } = options;
    const key = options.idempotencyKey ?? newIdempotencyKey();
    const body = await this.#transport.send({
      method: 'POST',
      path: '/permissions/request',
      body: { action, resource, scope, context, ttl },
      headers: { 'idempotency-key': key },
      retry: 'safe',
      signal,
    });
    try {
      return fromRequestResponse(body.data);
    } catch (error) {
      const lostToken = error instanceof AgentOTPError && error.code === 'TOKEN_NOT_DELIVERED';
      if (!lostToken || options.idempotencyKey !== undefined || lostOnce) throw error;
      const id = (body.data as { id: string }).id;
      await this.revoke(id, 'its token was lost with the answer; requested again', { signal });
      return this.#submit(options, true);
    }
  }

  /**
   * Waits until a pending permission is decided and resolves with its final state: approved
   * (with the token of a human approval), denied, expired or cancelled. Rejects with a
   * `TimeoutError` after `timeout` ms, or with the signal's reason when `signal` aborts; the
   * request stays pending then (unlike `requestPermission`, which cancels it).
   *
   * The decision is pushed over the permission's Server-Sent Events stream, so it arrives the
   * moment a human decides; when the stream cannot be opened or drops, the wait goes on by
   * long-polling (`GET …?wait=25`). Either way the connection is closed when the wait ends.
   * Rejects with `TOKEN_NOT_DELIVERED` if the request was approved but its token went to
   * another reader — or was lost with a connection that dropped just as it carried it.
   *
   * @example
   * ```ts
   * const pending = await otp.requestPermission({ action: 'bank.transfer' });
   * if (pending.status === 'pending') {
   *   const final = await otp.waitForDecision(pending.id, { timeout: 60_000 });
   *   console.log(final.status);
   * }
   * ```
   */
  async waitForDecision(id: string, options: WaitOptions = {}): Promise<PermissionResult> {
    return fromDecidedView(await waitWithDeadline(this.#waiter, id, options));
  }

  /**
   * Reads a permission and its state. After a human approval, the first read carries `token`
   * (only that one): keep it if you see it.
   *
   * @example
   * ```ts
   * const view = await otp.getPermission('perm_3nq0Zc1Qk8yJ9b2wXvA1sQ');
   * console.log(view.status, view.usesRemaining);
   * ```
   */
  async getPermission(id: string, options: CallOptions = {}): Promise<PermissionView> {
    const body = await this.#transport.send({
      method: 'GET',
      path: path(id),
      retry: 'safe',
      signal: options.signal,
    });
    return asView(body.data);
  }

  /**
   * Alias of `getPermission`, under the name earlier clients use.
   *
   * @example
   * ```ts
   * const { status } = await otp.getPermissionStatus(permission.id);
   * ```
   */
  getPermissionStatus(id: string, options: CallOptions = {}): Promise<PermissionView> {
    return this.getPermission(id, options);
  }

  /**
   * Lists this agent's own permissions, newest first, one page at a time.
   *
   * @example
   * ```ts
   * const page = await otp.listPermissions({ status: 'approved', limit: 20 });
   * for (const p of page.data) console.log(p.id, p.action);
   * if (page.nextCursor) await otp.listPermissions({ status: 'approved', cursor: page.nextCursor });
   * ```
   */
  async listPermissions(query: ListPermissionsQuery = {}): Promise<PermissionPage> {
    const { status, action, limit, cursor, signal } = query;
    const body = await this.#transport.send({
      method: 'GET',
      path: '/permissions',
      query: { status, action, limit, cursor },
      retry: 'safe',
      signal,
    });
    const data = Array.isArray(body.data) ? body.data.map(asView) : [];
    return { data, nextCursor: typeof body.nextCursor === 'string' ? body.nextCursor : null };
  }

  /**
   * Checks a token without spending it: whether it could be used now, its scope, and which scope
   * keys the server does not enforce (so the protected operation must check them itself).
   *
   * @example
   * ```ts
   * const check = await otp.verifyToken(permission.id, token);
   * if (!check.valid) throw new Error(`token unusable: ${check.reason}`);
   * ```
   */
  async verifyToken(id: string, token: string, options: CallOptions = {}): Promise<VerifyResult> {
    const body = await this.#transport.send({
      method: 'POST',
      path: path(id, '/verify'),
      body: { token },
      retry: 'safe',
      signal: options.signal,
    });
    return body.data as VerifyResult;
  }

  /**
   * Spends one use of a token. The server checks `actionDetails` against the granted scope first
   * (e.g. `subject` against `subject_pattern`) and refuses without spending on a mismatch.
   *
   * @throws TokenUsedError, TokenExpiredError, TokenRevokedError, InvalidTokenError, ScopeViolationError
   * @example
   * ```ts
   * await otp.useToken(permission.id, permission.token, { recipient: 'client@example.com', subject: 'Invoice #123' });
   * ```
   */
  async useToken(
    id: string,
    token: string,
    actionDetails?: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<UseResult> {
    const body = await this.#transport.send({
      method: 'POST',
      path: path(id, '/use'),
      body: { token, actionDetails },
      retry: 'connect-only',
      signal: options.signal,
    });
    return body.data as UseResult;
  }

  /**
   * Revokes an approved token, or cancels a pending request. Resolves with the permission after.
   *
   * @example
   * ```ts
   * const view = await otp.revoke(permission.id, 'task finished early');
   * console.log(view.status); // 'revoked' (or 'cancelled' if it was pending)
   * ```
   */
  async revoke(id: string, reason?: string, options: CallOptions = {}): Promise<PermissionView> {
    const body = await this.#transport.send({
      method: 'POST',
      path: path(id, '/revoke'),
      body: reason === undefined ? {} : { reason },
      retry: 'connect-only',
      signal: options.signal,
    });
    return asView(body.data);
  }

  /**
   * Alias of `revoke`, under the name earlier clients use.
   *
   * @example
   * ```ts
   * await otp.revokeToken(permission.id);
   * ```
   */
  revokeToken(id: string, reason?: string, options: CallOptions = {}): Promise<PermissionView> {
    return this.revoke(id, reason, options);
  }

  /**
   * Requests a permission (waiting for a human if the policy asks for one), spends one use of its
   * token, and only then runs `operation`, resolving with what the operation returns.
   *
   * Why the token is spent first: spending is the server's single-use check (a compare-and-set)
   * and its scope check of `actionDetails`. Done before the side effect, a token that is already
   * used, expired, revoked, or out of scope stops the operation from running at all, and two
   * concurrent callers holding the same token cannot both act. Done after, both could act and one
   * would learn only afterwards that its use was refused.
   *
   * The cost of that order: if the operation throws after the spend, the use is gone — the
   * permission is not refunded and the error propagates unchanged. Request a new permission to
   * try again; the audit log shows the use with its `actionDetails`, and your error handling
   * knows the operation failed. (The opposite order — spend only after the operation succeeded,
   * so that a failed operation leaves its token to expire unused — was rejected for the reason
   * above: it lets a second holder of the token act before the first one spends it.)
   *
   * Nothing is spent when the permission is not granted: a denial (by policy or a human), a
   * cancellation or a revocation throws `PermissionDeniedError`; a request that expired before a
   * decision throws `PermissionExpiredError`. If the spend itself fails (`ScopeViolationError`,
   * `TokenExpiredError`, …) that error is thrown and the operation never runs.
   *
   * @example
   * ```ts
   * const result = await otp.executeWithPermission(
   *   { action: 'gmail.send', scope: { max_emails: 1, subject_pattern: '^Invoice.*' } },
   *   (token) => sendEmail({ to: 'client@example.com', subject: 'Invoice #123', otpToken: token }),
   *   { actionDetails: { subject: 'Invoice #123' } },
   * );
   * ```
   */
  executeWithPermission<T>(
    request: Omit<RequestPermissionOptions, 'waitForApproval'>,
    operation: Operation<T>,
    options: ExecuteOptions = {},
  ): Promise<T> {
    return executeWithPermission(this, request, operation, options);
  }
}
