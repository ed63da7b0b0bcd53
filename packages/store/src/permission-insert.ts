import { AgentOtpError, type AuditEventInput, type Permission } from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import { dialectSql } from './dialect-sql.ts';
import { PERMISSION_COLUMNS, permissionValues } from './rows.ts';
import type { SqlExecutor } from './sql-driver.ts';

const INSERT_PERMISSION = `INSERT INTO permissions (${PERMISSION_COLUMNS}) VALUES (${PERMISSION_COLUMNS.split(
  ',',
)
  .map(() => '?')
  .join(', ')})`;

/** Fails with AGENT_DISABLED unless the agent is active in this transaction (see Store.insertPermission). */
export async function requireActiveAgent(tx: SqlExecutor, agentId: string): Promise<void> {
  // A read that holds the agent row on PostgreSQL (FOR SHARE), so a racing disable waits.
  if (!(await tx.get(dialectSql(tx.dialect).lockActiveAgent, [agentId]))) {
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
