import { AgentOtpError } from '../errors.ts';
import { narrowGrantedScope, uninterpretedConflicts } from '../scope/index.ts';
import type { ApprovalVote, Scope } from '../types.ts';

/** The scope a set of approving votes grants, and which of them count toward the quorum. */
export interface QuorumScope {
  granted: Scope;
  /** Approving votes that count, oldest first. */
  counted: ApprovalVote[];
  /** Approving votes left out because they changed an uninterpreted key (see foldApprovals). */
  ignored: { user: string; keys: string[] }[];
  /** Who first gave each key its value: "the request" or an approver's name. */
  setBy: Map<string, string>;
}

/**
 * Folds approving votes, in the store's order (oldest first, ties by user id, so every reader
 * folds the same way), into the scope to grant: every vote's narrowing applies,
 * so interpreted constraints end up the strictest of all (smallest maximum, intersected lists,
 * every pattern). An uninterpreted key keeps the first value it was given, by the request or by
 * the earliest approving vote that added it; approve() refuses a later vote that would change
 * it, and a vote that slipped past that check by racing another is left out here and does not
 * count, so the grant is never wider than any counted vote's narrowing.
 */
export function foldApprovals(base: Scope, votes: readonly ApprovalVote[]): QuorumScope {
  let granted = base;
  const setBy = new Map<string, string>(Object.keys(base).map((key) => [key, 'the request']));
  const counted: ApprovalVote[] = [];
  const ignored: QuorumScope['ignored'] = [];
  for (const vote of votes) {
    if (vote.decision !== 'approve') continue;
    const conflicts = vote.scope ? uninterpretedConflicts(granted, vote.scope) : [];
    if (conflicts.length > 0) {
      ignored.push({ user: vote.userName, keys: conflicts.map((c) => c.key) });
      continue;
    }
    if (vote.scope) {
      for (const key of Object.keys(vote.scope)) if (!setBy.has(key)) setBy.set(key, vote.userName);
      granted = narrowGrantedScope(granted, vote.scope);
    }
    counted.push(vote);
  }
  return { granted, counted, ignored, setBy };
}

const MAX_SHOWN = 200;

/**
 * Refuses an approver's edit that would change an uninterpreted key already fixed, naming the
 * key, its value and who set it: the server cannot tell which value is stricter, so it does not
 * pick one silently.
 */
export function refuseConflictingEdit(folded: QuorumScope, edit: Scope): void {
  const [conflict] = uninterpretedConflicts(folded.granted, edit);
  if (!conflict) return;
  const shown = JSON.stringify(conflict.current);
  const value = shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown;
  const setBy = folded.setBy.get(conflict.key) ?? 'the request';
  throw new AgentOtpError(
    'CONFLICT',
    `scope.${conflict.key} is already ${value} (set by ${setBy}); the server cannot tell which value ` +
      'is stricter, so an approver may keep it but not change it: approve without it, or deny',
    { field: 'scope', key: conflict.key, current: conflict.current, setBy },
  );
}
