/**
 * Slows password guessing: after `maxFailures` failed logins for one key (a user name, or a
 * client address) within `windowMs`, further attempts for that key are refused until the
 * window has passed. Successful logins clear the name's count.
 */
export function createLoginThrottle(now: () => number, maxFailures = 5, windowMs = 15 * 60_000) {
  const failures = new Map<string, number[]>();
  const recent = (key: string) => (failures.get(key) ?? []).filter((at) => at > now() - windowMs);
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
      failures.set(key, times);
      if (failures.size > 100_000) failures.clear(); // bounded memory under a flood of names
    },
    clear(key: string) {
      failures.delete(key);
    },
  };
}
