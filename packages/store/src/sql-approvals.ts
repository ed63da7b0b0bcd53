import type { Store } from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import { toVote, VOTE_COLUMNS, type VoteRow } from './human-rows.ts';
import { PERMISSION_COLUMNS, type PermissionRow, toPermission } from './rows.ts';
import type { SqlDriver } from './sql-driver.ts';

type ApprovalMethods = Pick<Store, 'addApprovalVote' | 'listApprovalVotes' | 'claimTokenDelivery'>;

const CLAIM_DELIVERY =
  "UPDATE permissions SET token_hash = ?, updated_at = ? WHERE id = ? AND status = 'approved' AND token_hash IS NULL " +
  `RETURNING ${PERMISSION_COLUMNS}`;

const LOCK_PENDING =
  "UPDATE permissions SET updated_at = updated_at WHERE id = ? AND status = 'pending' AND expires_at > ? RETURNING id";
const INSERT_VOTE =
  `INSERT INTO approval_votes (${VOTE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ` +
  'ON CONFLICT (permission_id, user_id) DO NOTHING';

const URGENT = { urgent: true } as const;

/** Approval votes and the one-time hand-over of a human-approved token. */
export function sqlApprovalMethods(driver: SqlDriver, writer: AuditWriter): ApprovalMethods {
  return {
    // Urgent (see TransactionOptions): a human's decision and the hand-over of its token are
    // what a waiting agent waits for.
    addApprovalVote(vote, now, audit) {
      return driver.transaction(async (tx) => {
        // A no-op UPDATE rather than a SELECT: on PostgreSQL it locks the row and re-checks the
        // status after a concurrent decision commits, so no vote lands after the decision.
        const pending = await tx.get<{ id: string }>(LOCK_PENDING, [vote.permissionId, now]);
        if (!pending) return 'not_pending' as const;
        // ON CONFLICT instead of a prior SELECT: two racing votes of one user on PostgreSQL would
        // both pass the SELECT, and the loser would fail with a unique violation, not 'duplicate'.
        const inserted = await tx.run(INSERT_VOTE, [
          vote.permissionId,
          vote.userId,
          vote.userName,
          vote.decision,
          vote.scope === null ? null : JSON.stringify(vote.scope),
          vote.ttlSeconds,
          vote.reason,
          vote.createdAt,
        ]);
        if (inserted.changes === 0) return 'duplicate' as const;
        await writer.append(tx, audit);
        return 'recorded' as const;
      }, URGENT);
    },
    async listApprovalVotes(permissionId) {
      const rows = await driver.all<VoteRow>(
        `SELECT ${VOTE_COLUMNS} FROM approval_votes WHERE permission_id = ? ORDER BY created_at, user_id`,
        [permissionId],
      );
      return rows.map(toVote);
    },
    claimTokenDelivery(id, tokenHash, now, audit) {
      return driver.transaction(async (tx) => {
        const row = await tx.get<PermissionRow>(CLAIM_DELIVERY, [tokenHash, now, id]);
        if (!row) return null;
        await writer.append(tx, audit);
        return toPermission(row);
      }, URGENT);
    },
  };
}
