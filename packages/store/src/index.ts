export type { Dialect } from './dialect-sql.ts';
export { migrateToLatest } from './migrate.ts';
export { createPostgresDriver, POSTGRES_DEFAULTS, type PostgresOptions } from './postgres-driver.ts';
export { createPostgresStore } from './postgres-store.ts';
export type { SqlDriver, SqlExecutor } from './sql-driver.ts';
export { createSqlStore, type SqlStoreOptions } from './sql-store.ts';
export { createSqliteDriver } from './sqlite-driver.ts';
export { createSqliteStore } from './sqlite-store.ts';
