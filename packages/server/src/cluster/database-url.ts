/**
 * DATABASE_URL as the events adapters see it: the PostgreSQL URL when it names one, else null.
 * The store reads the same variable for itself; this reads it only to pick LISTEN/NOTIFY for
 * events when there is no Redis, and ignores anything that is not a postgres URL.
 */
export function postgresUrlOf(value: string | undefined): string | null {
  const url = value?.trim();
  if (!url || !/^postgres(ql)?:\/\//i.test(url)) return null;
  try {
    new URL(url);
    return url;
  } catch {
    return null;
  }
}
