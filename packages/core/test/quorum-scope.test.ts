import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldApprovals, refuseConflictingEdit } from '../src/approvals/quorum-scope.ts';
import { AgentOtpError } from '../src/errors.ts';
import { uninterpretedConflicts } from '../src/scope/narrow.ts';
import type { ApprovalVote, Scope } from '../src/types.ts';

let at = 0;
function vote(userName: string, scope: Scope | null, decision: 'approve' | 'deny' = 'approve'): ApprovalVote {
  at += 1;
  return {
    permissionId: 'prm_x',
    userId: `usr_${userName}`,
    userName,
    decision,
    scope,
    ttlSeconds: null,
    reason: null,
    createdAt: at,
  };
}

/** The CONFLICT refuseConflictingEdit throws, or null when the edit is accepted. */
function refusal(base: Scope, votes: ApprovalVote[], edit: Scope): AgentOtpError | null {
  try {
    refuseConflictingEdit(foldApprovals(base, votes), edit);
    return null;
  } catch (error) {
    assert.ok(error instanceof AgentOtpError);
    return error;
  }
}

describe('uninterpretedConflicts', () => {
  it('names only uninterpreted keys already present with another value', () => {
    const granted = { account: 'savings', max_amount: 500, note: { a: 1, b: 2 } };
    assert.deepEqual(uninterpretedConflicts(granted, { account: 'ANY', max_amount: 100, memo: 'new' }), [
      { key: 'account', current: 'savings', proposed: 'ANY' },
    ]);
    assert.deepEqual(uninterpretedConflicts(granted, { account: 'savings', note: { b: 2, a: 1 } }), []);
    assert.deepEqual(uninterpretedConflicts(granted, { note: { a: 1 } }), [
      { key: 'note', current: { a: 1, b: 2 }, proposed: { a: 1 } },
    ]);
  });
});

describe('quorum narrowing (finding 8: the last vote no longer wins)', () => {
  it('two approvers: a later vote that changes an uninterpreted key is refused, naming key and value', () => {
    const earlier = [vote('bob', { account: 'savings-only' })];
    const error = refusal({ max_amount: 1000 }, earlier, { account: 'ANY' });
    assert.equal(error?.code, 'CONFLICT');
    assert.match(error?.message ?? '', /scope\.account is already "savings-only" \(set by bob\)/);
    assert.deepEqual(error?.details, {
      field: 'scope',
      key: 'account',
      current: 'savings-only',
      setBy: 'bob',
    });
    assert.equal(
      refusal({ max_amount: 1000 }, earlier, { account: 'savings-only' }),
      null,
      'agreeing is fine',
    );
    assert.equal(
      refusal({ max_amount: 1000 }, earlier, { max_amount: 10 }),
      null,
      'not mentioning it is fine',
    );
  });

  it('a vote that slipped in by racing is left out and does not count toward the quorum', () => {
    const votes = [
      vote('bob', { account: 'savings-only' }),
      vote('carol', { account: 'ANY' }),
      vote('dave', null),
    ];
    const folded = foldApprovals({ max_amount: 1000 }, votes);
    assert.equal(folded.granted.account, 'savings-only');
    assert.deepEqual(
      folded.counted.map((v) => v.userName),
      ['bob', 'dave'],
    );
    assert.deepEqual(folded.ignored, [{ user: 'carol', keys: ['account'] }]);
  });

  it('three approvers: interpreted keys combine to the strictest of all votes', () => {
    const base = { max_amount: 1000, allowed_regions: ['eu', 'us', 'uk'], memo_pattern: '^Invoice' };
    const votes = [
      vote('bob', { max_amount: 500, allowed_regions: ['eu', 'us'] }),
      vote('carol', { max_amount: 300, memo_pattern: '[0-9]+$', account: 'savings-only' }),
      vote('dave', { max_amount: 400, allowed_regions: ['us', 'uk'], account: 'savings-only' }),
    ];
    const folded = foldApprovals(base, votes);
    assert.deepEqual(folded.granted, {
      max_amount: 300,
      allowed_regions: ['us'],
      memo_pattern: ['^Invoice', '[0-9]+$'],
      max_uses: 1,
      account: 'savings-only',
    });
    assert.equal(folded.counted.length, 3);
    // The order of the votes does not change what is granted.
    const reversed = foldApprovals(base, [...votes].reverse());
    assert.deepEqual(reversed.granted.max_amount, 300);
    assert.deepEqual(reversed.granted.allowed_regions, ['us']);
    assert.equal(reversed.granted.account, 'savings-only');
  });

  it('three approvers: the third may not change what the first fixed, whatever the second did', () => {
    const votes = [vote('bob', { account: 'savings-only' }), vote('carol', { max_amount: 10 })];
    assert.match(refusal({}, votes, { account: 'ANY' })?.message ?? '', /set by bob/);
  });

  it('single approver: a value the request fixed cannot be changed, only kept; new keys may be added', () => {
    const base = { account: 'savings', max_amount: 100 };
    const error = refusal(base, [], { account: 'checking' });
    assert.equal(error?.code, 'CONFLICT');
    assert.match(error?.message ?? '', /already "savings" \(set by the request\)/);
    assert.equal(refusal(base, [], { account: 'savings', memo: 'rent' }), null);
    assert.equal(foldApprovals(base, [vote('bob', { memo: 'rent' })]).granted.memo, 'rent');
  });

  it('deny votes are not approvals and long values are cut in the message', () => {
    const folded = foldApprovals({}, [vote('eve', { account: 'x' }, 'deny')]);
    assert.deepEqual(folded.counted, []);
    assert.equal(folded.granted.account, undefined);
    const long = 'a'.repeat(1000);
    const error = refusal({ account: long }, [], { account: 'b' });
    assert.ok((error?.message.length ?? 0) < 500);
  });
});
