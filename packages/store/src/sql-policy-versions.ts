import type {
  ActorType,
  PolicyOrigin,
  PolicyVersionRecord,
  PolicyVersionSummary,
  Store,
} from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { SqlDriver } from './sql-driver.ts';

type PolicyVersionMethods = Pick<
  Store,
  'recordPolicyVersion' | 'getPolicyVersion' | 'listPolicyVersions' | 'policyVersionBefore'
>;

interface VersionRow {
  version: string;
  source?: string;
  first_in_force_at: number | string;
  origin: string;
  actor_type: string;
  actor_id: string;
  rules: number | string;
}

const SUMMARY_COLUMNS = 'version, first_in_force_at, origin, actor_type, actor_id, rules';
const ALL_COLUMNS = `${SUMMARY_COLUMNS}, source`;

const toSummary = (r: VersionRow): PolicyVersionSummary => ({
  version: r.version,
  firstInForceAt: Number(r.first_in_force_at),
  origin: r.origin as PolicyOrigin,
  actor: { type: r.actor_type as ActorType, id: r.actor_id },
  rules: Number(r.rules),
});
const toRecord = (r: VersionRow): PolicyVersionRecord => ({ ...toSummary(r), source: r.source ?? '' });

/** The policy versions a server has run (see the Store port). */
export function sqlPolicyVersionMethods(driver: SqlDriver, writer: AuditWriter): PolicyVersionMethods {
  return {
    recordPolicyVersion(record, audit) {
      return driver.transaction(async (tx) => {
        // ON CONFLICT DO NOTHING on both databases: a concurrent insert of the same version
        // (another instance starting with the same file) waits for it and then does nothing.
        const { changes } = await tx.run(
          `INSERT INTO policy_versions (${ALL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING`,
          [
            record.version,
            record.firstInForceAt,
            record.origin,
            record.actor.type,
            record.actor.id,
            record.rules,
            record.source,
          ],
        );
        const firstTime = changes > 0;
        await writer.append(tx, [audit(firstTime)]);
        return firstTime;
      });
    },
    async getPolicyVersion(version) {
      const row = await driver.get<VersionRow>(
        `SELECT ${ALL_COLUMNS} FROM policy_versions WHERE version = ?`,
        [version],
      );
      return row ? toRecord(row) : null;
    },
    async listPolicyVersions({ limit, cursor }) {
      const after = cursor ? decodeCursor(cursor) : null;
      const where = after ? 'WHERE first_in_force_at < ? OR (first_in_force_at = ? AND version < ?)' : '';
      const rows = await driver.all<VersionRow>(
        `SELECT ${SUMMARY_COLUMNS} FROM policy_versions ${where} ORDER BY first_in_force_at DESC, version DESC LIMIT ?`,
        after ? [after.createdAt, after.createdAt, after.id, limit + 1] : [limit + 1],
      );
      const items = rows.slice(0, limit).map(toSummary);
      const last = items[items.length - 1];
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor(last.firstInForceAt, last.version) : null,
      };
    },
    async policyVersionBefore(version) {
      const row = await driver.get<VersionRow>(
        `SELECT ${ALL_COLUMNS} FROM policy_versions p WHERE EXISTS (SELECT 1 FROM policy_versions t WHERE t.version = ? AND ` +
          '(p.first_in_force_at < t.first_in_force_at OR (p.first_in_force_at = t.first_in_force_at AND p.version < t.version))) ' +
          'ORDER BY first_in_force_at DESC, version DESC LIMIT 1',
        [version],
      );
      return row ? toRecord(row) : null;
    },
  };
}
