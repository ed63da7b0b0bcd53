/**
 * When a failed attempt may be repeated, and how long to wait first.
 *
 * Repeating a request is only harmless when doing it twice means the same as doing it once.
 * Reads (GET, verify) are; `request` (a second permission, a second prompt to a human), `use` (a
 * second spent use) and `revoke` (a misleading "already revoked" for a revoke that worked) are
 * not. Those are repeated only when the failure proves the server never saw the request: the
 * connection could not even be opened. A 5xx, a timeout or a connection dropped mid-way may
 * come after the server acted, so they are surfaced instead.
 */

/**
 * `safe`: repeat on any network error or 5xx — reads, and a `request` sent with an
 * Idempotency-Key (the server answers a repeat with the first one's permission).
 * `connect-only`: repeat only if the request was never sent.
 */
export type RetryMode = 'safe' | 'connect-only';

/**
 * Error codes (Node's and undici's) that fetch reports when no connection was made, so no byte of
 * the request reached a server. ECONNRESET and ETIMEDOUT are absent on purpose: they also
 * happen after the request was written.
 */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Whether a fetch rejection happened before the request was sent. fetch wraps the socket error
 * in `cause` (sometimes twice, and as an AggregateError when several addresses were tried), so
 * the whole chain is searched, and every address must have refused.
 */
export function failedBeforeSending(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.every((inner) => failedBeforeSending(inner, depth + 1));
  }
  if (typeof code === 'string' && CONNECT_CODES.has(code)) return true;
  return failedBeforeSending(cause, depth + 1);
}

const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 4000;

/**
 * Exponential backoff with jitter: attempt 0 waits 125–250 ms, attempt 1 250–500 ms, …, at most
 * 4 s. The random half spreads out clients that failed together so they do not retry together.
 */
export function backoffDelay(attempt: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
