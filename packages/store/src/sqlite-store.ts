import type { Store } from '@agent-otp/core';
import { createSqlStore, type SqlStoreOptions } from './sql-store.ts';
import { createSqliteDriver } from './sqlite-driver.ts';

/** The embedded store: one SQLite file (WAL), or `:memory:` for tests. */
export function createSqliteStore(file: string, options: SqlStoreOptions = {}): Store {
  return createSqlStore(createSqliteDriver(file), options);
}
