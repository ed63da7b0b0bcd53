import type { Kysely } from 'kysely';
import type { Dialect } from './dialect-sql.ts';
import type { SessionRow, UserRow, UserTokenRow, VoteRow } from './human-rows.ts';
import type { AgentRow, AuditHeadRow, AuditRow, PermissionRow } from './rows.ts';

/** Tables as Kysely sees them, for the dynamic queries it builds. */
export interface Database {
  agents: AgentRow;
  permissions: PermissionRow;
  audit_log: AuditRow;
  audit_heads: AuditHeadRow;
  users: UserRow;
  user_tokens: UserTokenRow;
  sessions: SessionRow;
  approval_votes: VoteRow;
}

/**
 * Runs SQL with `?` placeholders, or the placeholders the driver's own Kysely dialect compiles
 * to. Drivers translate `?` for their database.
 */
export interface SqlExecutor {
  /** Which database runs the SQL: picks the few statements that differ (dialect-sql.ts). */
  readonly dialect: Dialect;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
  /**
   * Set inside a transaction that shares one database transaction with others (SQLite's group
   * commit) and holds the database's only write lock for all of them: what a writer reads under
   * that lock stays true until the batch commits, so it may keep it here instead of reading it
   * again in every transaction of the batch. Absent elsewhere (PostgreSQL, single statements).
   */
  readonly batch?: CommitBatch;
}

/** State shared by the transactions of one group commit (see SqlExecutor.batch). */
export interface CommitBatch {
  /** Values kept for the rest of the batch, by the keys their writer chooses. */
  readonly memo: Map<string, unknown>;
  /** Runs `undo` if this transaction (only) is rolled back, so the memo forgets what it wrote. */
  onRollback(undo: () => void): void;
  /** Runs `write` once, just before the batch commits (a later call with the same key replaces it). */
  beforeCommit(key: string, write: (tx: SqlExecutor) => Promise<unknown>): void;
}

export interface TransactionOptions {
  /**
   * Someone is waiting on this commit (a human's decision, the token a waiting agent is about to
   * receive): a driver that holds writes back to commit them together (SQLite's group commit)
   * commits this one at once, with whatever is already queued, instead of after the batch fills.
   */
  urgent?: boolean;
}

/**
 * What the SQL store needs from a database: statements, transactions and a Kysely instance for
 * migrations and dynamic queries. The hot paths use hand-written portable SQL through `get`,
 * `all` and `run`, which drivers prepare once and reuse.
 */
export interface SqlDriver extends SqlExecutor {
  readonly kysely: Kysely<Database>;
  /**
   * Runs `fn` in one transaction that holds the write lock from its first statement (SQLite
   * BEGIN IMMEDIATE; PostgreSQL takes row locks, among them the audit stripe's head row). Commits when `fn`
   * resolves, rolls back when it throws.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  isUniqueViolation(error: unknown): boolean;
  close(): Promise<void>;
}
