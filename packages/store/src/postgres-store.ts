import type { Store } from '@agent-otp/core';
import { createPostgresDriver, type PostgresOptions } from './postgres-driver.ts';
import { createSqlStore } from './sql-store.ts';

/** The shared store: a PostgreSQL database (`postgres://…`) that several instances can use. */
export function createPostgresStore(url: string, options: PostgresOptions = {}): Store {
  return createSqlStore(createPostgresDriver(url, options));
}
