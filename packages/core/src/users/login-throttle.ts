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
export function createLoginThrottle(now: () => number, windowMs = 15 * 60_000, maxKeys = 100_000) {
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

  const waitMs = (state: KeyState, limit: ThrottleLimit): number => {
    if (state.failures < limit.free) return 0;
    const delay = Math.min(limit.capMs, 1000 * 2 ** Math.min(30, state.failures - limit.free));
    return Math.max(0, state.lastFailure + delay - now());
  };

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
