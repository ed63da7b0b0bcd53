import { AgentOtpError, type AuditEventInput, type Permission } from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import { PERMISSION_COLUMNS, permissionValues } from './rows.ts';
import type { SqlExecutor } from './sql-driver.ts';

const INSERT_PERMISSION = `INSERT INTO permissions (${PERMISSION_COLUMNS}) VALUES (${PERMISSION_COLUMNS.split(
  ',',
)
  .map(() => '?')
  .join(', ')})`;

// Every request runs this, so it is a read, not a no-op UPDATE (which SQLite would write to the
// WAL each time). SQLite serialises write transactions (BEGIN IMMEDIATE), so the read sees a
// committed disable or runs wholly before it. A PostgreSQL driver must add FOR SHARE: requests
// of one agent then proceed in parallel while a disable's UPDATE of the row waits for them.
const LOCK_ACTIVE_AGENT = "SELECT id FROM agents WHERE id = ? AND status = 'active'";

/** Fails with AGENT_DISABLED unless the agent is active in this transaction (see Store.insertPermission). */
export async function requireActiveAgent(tx: SqlExecutor, agentId: string): Promise<void> {
  if (!(await tx.get(LOCK_ACTIVE_AGENT, [agentId]))) {
    throw new AgentOtpError('AGENT_DISABLED', `agent ${agentId} is not active`);
  }
}

/** The permission row and its audit entries, inside the caller's transaction. */
export async function insertPermissionRow(
  tx: SqlExecutor,
  permission: Permission,
  audit: AuditEventInput[],
  writer: AuditWriter,
): Promise<void> {
  await tx.run(INSERT_PERMISSION, permissionValues(permission));
  await writer.append(tx, audit);
}
