/** How a kind of key is slowed: `free` failures, then a wait that doubles from 1 s up to `capMs`. */
export interface ThrottleLimit {
  free: number;
  capMs: number;
}

/**
 * The keys a login is counted under. None of them locks an account: a name is slowed hard only
 * from the address guessing it, an address only for itself, and a name across all addresses
 * only softly (a short wait after many failures), so a guesser elsewhere (or a made-up name from
 * the same address) never keeps the right password out for long.
 */
export const LOGIN_LIMITS = {
  /** One address guessing one name's password. */
  pair: { free: 5, capMs: 15 * 60_000 },
  /** One address trying many names (password spraying). */
  address: { free: 20, capMs: 15 * 60_000 },
  /** One name tried from many addresses: bounds a distributed guesser, never for long. */
  name: { free: 100, capMs: 30_000 },
} as const satisfies Record<string, ThrottleLimit>;

export type ThrottleKind = keyof typeof LOGIN_LIMITS;

/** A key's failures are forgotten after this long without a failure. */
export const LOGIN_WINDOW_MS = 15 * 60_000;

/**
 * The login throttle port: where failed logins are counted. The in-memory adapter below serves
 * one instance; a shared adapter (Redis) makes several instances count against one budget.
 * Methods may answer synchronously or with a promise; callers await them.
 */
export interface LoginThrottle {
  /** Seconds until `key` may try again; 0 when it may now. */
  retryAfter(key: string, limit: ThrottleLimit): number | Promise<number>;
  /** Counts a failure against `key`. */
  fail(key: string): void | Promise<void>;
  /**
   * Counts a refused attempt; returns the number of refusals to audit now, or null when this
   * one is counted into the key's next report (one audit entry per key and window).
   */
  refused(key: string): number | null | Promise<number | null>;
  /** Forgets `key`'s failures (a successful login). */
  clear(key: string): void | Promise<void>;
}

/**
 * The wait of a key with `failures` failures, the last at `lastFailure`: none for the first
 * `limit.free` failures, then 1 s doubling up to `limit.capMs`, counted from the last failure.
 */
export function throttleWaitMs(failures: number, lastFailure: number, limit: ThrottleLimit, now: number) {
  if (failures < limit.free) return 0;
  const delay = Math.min(limit.capMs, 1000 * 2 ** Math.min(30, failures - limit.free));
  return Math.max(0, lastFailure + delay - now);
}

/** The in-memory adapter answers at once. */
export interface MemoryLoginThrottle extends LoginThrottle {
  retryAfter(key: string, limit: ThrottleLimit): number;
  fail(key: string): void;
  refused(key: string): number | null;
  clear(key: string): void;
}

interface KeyState {
  failures: number;
  lastFailure: number;
  /** When a refusal of this key was last reported (audited), or null. */
  reportedAt: number | null;
  /** Refusals since that report. */
  unreported: number;
}

/**
 * Slows password guessing with waits that grow with each failure instead of a fixed lock. A
 * key's count is forgotten once it has had no failure for `windowMs`. Memory is bounded under a
 * flood of keys. Refusals are counted per key so the caller can audit one entry per key and
 * window (with the count) instead of one per attempt.
 */
export function createLoginThrottle(
  now: () => number,
  windowMs = LOGIN_WINDOW_MS,
  maxKeys = 100_000,
): MemoryLoginThrottle {
  const keys = new Map<string, KeyState>();

  /** The key's state; failures are forgotten after a window without one. */
  function live(key: string): KeyState | undefined {
    const state = keys.get(key);
    if (!state || now() - state.lastFailure < windowMs) return state;
    // Refusals not yet reported are kept for the key's next entry; otherwise the key goes.
    if (state.unreported === 0) {
      keys.delete(key);
      return undefined;
    }
    state.failures = 0;
    return state;
  }

  const waitMs = (state: KeyState, limit: ThrottleLimit): number =>
    throttleWaitMs(state.failures, state.lastFailure, limit, now());

  /**
   * Bounded memory under a flood of keys: keys idle for a window go first, then the least
   * recently failed ones that are not being slowed, and slowed ones only as a last resort.
   * Clearing everything instead would let a flood of made-up names lift the wait on the name
   * actually being guessed. It prunes to 90%, so a flood pays for one pass per many keys.
   */
  function prune() {
    const target = Math.floor(maxKeys * 0.9);
    for (const [key, state] of keys) if (now() - state.lastFailure >= windowMs) keys.delete(key);
    for (const spareSlowed of [true, false]) {
      for (const [key, state] of keys) {
        if (keys.size <= target) return;
        if (!spareSlowed || state.failures < LOGIN_LIMITS.pair.free) keys.delete(key);
      }
    }
  }

  return {
    /** Seconds until `key` may try again; 0 when it may now. */
    retryAfter(key: string, limit: ThrottleLimit): number {
      const state = live(key);
      return state ? Math.ceil(waitMs(state, limit) / 1000) : 0;
    },
    fail(key: string) {
      const state = live(key) ?? { failures: 0, lastFailure: 0, reportedAt: null, unreported: 0 };
      state.failures += 1;
      state.lastFailure = now();
      // Re-inserted, so the Map's order is least recently failed first (see prune).
      keys.delete(key);
      keys.set(key, state);
      if (keys.size > maxKeys) prune();
    },
    /**
     * Counts a refused attempt. When the key has had no report within the window, returns the
     * count to report now (the refusals since its previous report, this one included); else
     * null, and the refusal is counted into the key's next report.
     */
    refused(key: string): number | null {
      const state = keys.get(key);
      if (!state) return 1;
      state.unreported += 1;
      if (state.reportedAt !== null && now() - state.reportedAt < windowMs) return null;
      const count = state.unreported;
      state.reportedAt = now();
      state.unreported = 0;
      return count;
    },
    clear(key: string) {
      keys.delete(key);
    },
  };
}
