import type { Store } from '@agent-otp/core';
import { createPostgresDriver, type PostgresOptions } from './postgres-driver.ts';
import { createSqlStore, type SqlStoreOptions } from './sql-store.ts';

/** The shared store: a PostgreSQL database (`postgres://…`) that several instances can use. */
export function createPostgresStore(url: string, options: PostgresOptions & SqlStoreOptions = {}): Store {
  const { auditStripes, auditAnchorEvery, ...pool } = options;
  return createSqlStore(createPostgresDriver(url, pool), { auditStripes, auditAnchorEvery });
}
