import { TimeoutError } from './errors.ts';
import { sleep } from './retry.ts';
import type { PermissionView } from './types.ts';

/**
 * How the SDK waits for a human decision. Two waiters implement it: the SSE waiter
 * (sse-waiter.ts), the primary path, and the long-poll below, which the SSE waiter falls back to
 * when the stream cannot be used (a proxy that buffers, an older server, a dropped connection).
 * Timeout and abort live in `waitWithDeadline`, which passes every waiter one signal that fires
 * on the caller's abort or on the deadline, so no waiter implements either.
 */
export interface DecisionWaiter {
  /**
   * Resolves with the permission once it is no longer `pending` — that read is the one that may
   * carry the token of a human approval, so it must be handed back as is. Rejects with
   * `signal.reason` once `signal` aborts (the caller's abort reason, or a TimeoutError).
   */
  wait(id: string, options: { signal: AbortSignal }): Promise<PermissionView>;
}

/** Reads a permission, letting the server hold the answer up to `waitSeconds` while it is pending. */
export type ReadPermission = (
  id: string,
  waitSeconds: number,
  signal: AbortSignal,
) => Promise<PermissionView>;

/** Tuning of the polling waiter; the defaults suit production, tests may shorten them. */
export interface PollingOptions {
  /** Longest hold to ask the server for. Below common proxy idle timeouts (30–60 s). */
  waitSeconds?: number;
  /** Least time between the starts of two reads when the server answers at once. */
  minIntervalMs?: number;
  /** Upper bound of that interval as it backs off. */
  maxIntervalMs?: number;
}

/**
 * Long-polls for the decision. A server that honours `wait` holds each read until the state
 * changes or the hold ends, so reads follow each other directly. A server that answers at once
 * (one that ignores `wait`, or a spurious wake-up) would otherwise be hammered, so reads then
 * start at least 1 s apart, doubling to 5 s — which also keeps a waiting agent well inside its
 * rate limit.
 */
export function createPollingWaiter(read: ReadPermission, options: PollingOptions = {}): DecisionWaiter {
  const waitSeconds = options.waitSeconds ?? 25;
  const minInterval = options.minIntervalMs ?? 1000;
  const maxInterval = options.maxIntervalMs ?? 5000;

  return {
    async wait(id, { signal }) {
      let interval = minInterval;
      for (;;) {
        signal.throwIfAborted();
        const started = Date.now();
        const view = await read(id, waitSeconds, signal);
        if (view.status !== 'pending') return view;
        const held = Date.now() - started;
        if (held < interval) {
          await sleep(interval - held, signal);
          interval = Math.min(interval * 2, maxInterval);
        } else {
          interval = minInterval;
        }
      }
    },
  };
}

/**
 * Runs a waiter under one signal that fires on the caller's abort (its reason is kept) or when
 * `timeout` ms have passed (a TimeoutError), so no waiter has to implement either.
 */
export async function waitWithDeadline(
  waiter: DecisionWaiter,
  id: string,
  options: { timeout?: number | undefined; signal?: AbortSignal | undefined },
): Promise<PermissionView> {
  const { timeout, signal } = options;
  const deadline = new AbortController();
  const timer =
    timeout === undefined
      ? undefined
      : setTimeout(() => {
          const message = `no decision on permission ${id} within ${timeout} ms`;
          deadline.abort(new TimeoutError(message, { details: { permissionId: id } }));
        }, timeout);
  try {
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    return await waiter.wait(id, { signal: combined });
  } finally {
    clearTimeout(timer);
  }
}
