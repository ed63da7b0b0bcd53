/**
 * Slows password guessing: after `maxFailures` failed logins for one key (a user name, or a
 * client address) within `windowMs`, further attempts for that key are refused until the
 * window has passed. Successful logins clear the name's count.
 */
export function createLoginThrottle(
  now: () => number,
  maxFailures = 5,
  windowMs = 15 * 60_000,
  maxKeys = 100_000,
) {
  const failures = new Map<string, number[]>();
  const recent = (key: string) => (failures.get(key) ?? []).filter((at) => at > now() - windowMs);

  /**
   * Bounded memory under a flood of names. Keys whose failures all left the window go first,
   * then the least recently failed keys that are not locked, and locked ones only as a last
   * resort. Clearing everything instead would let a flood of made-up names lift the lock on
   * the account actually being guessed.
   */
  function prune() {
    const cutoff = now() - windowMs;
    for (const [key, times] of failures) {
      if ((times[times.length - 1] ?? 0) <= cutoff) failures.delete(key);
    }
    for (const spareLocked of [true, false]) {
      for (const [key, times] of failures) {
        if (failures.size <= maxKeys) return;
        if (!spareLocked || times.length < maxFailures) failures.delete(key);
      }
    }
  }

  return {
    /** Seconds until `key` may try again; 0 when it may now. */
    retryAfter(key: string): number {
      const times = recent(key);
      if (times.length < maxFailures) return 0;
      return Math.max(1, Math.ceil(((times[0] ?? 0) + windowMs - now()) / 1000));
    },
    fail(key: string) {
      const times = recent(key);
      times.push(now());
      // Re-inserted, so the Map's order is least recently failed first (see prune).
      failures.delete(key);
      failures.set(key, times);
      if (failures.size > maxKeys) prune();
    },
    clear(key: string) {
      failures.delete(key);
    },
  };
}
