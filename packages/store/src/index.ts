export { migrateToLatest } from './migrate.ts';
export type { SqlDriver, SqlExecutor } from './sql-driver.ts';
export { createSqlStore, type SqlStoreOptions } from './sql-store.ts';
export { createSqliteDriver } from './sqlite-driver.ts';
export { createSqliteStore } from './sqlite-store.ts';
