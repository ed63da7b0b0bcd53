import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clampedKeys } from '../src/scope/clamped.ts';
import { narrowGrantedScope } from '../src/scope/narrow.ts';
import type { Scope } from '../src/types.ts';

/** What an approver's edit of `grant` is clamped to, as approve() computes it. */
const clampedOf = (grant: Scope, edit: Scope) => clampedKeys(edit, narrowGrantedScope(grant, edit));

describe('clampedKeys: what an approver asked for beyond the grant', () => {
  it('names a larger maximum, a smaller minimum, more uses, kept at the grant', () => {
    assert.deepEqual(clampedOf({ max_amount: 25000 }, { max_amount: 50000 }), [
      { key: 'max_amount', asked: 50000, granted: 25000 },
    ]);
    assert.deepEqual(clampedOf({ min_age: 18 }, { min_age: 10 }), [
      { key: 'min_age', asked: 10, granted: 18 },
    ]);
    // A grant without a count is one use.
    assert.deepEqual(clampedOf({}, { max_uses: 3 }), [{ key: 'max_uses', asked: 3, granted: 1 }]);
    assert.deepEqual(clampedOf({ allowed_recipients: ['a'] }, { allowed_recipients: ['a', 'b'] }), [
      { key: 'allowed_recipients', asked: ['a', 'b'], granted: ['a'] },
    ]);
  });

  it('is empty for a narrowing, an added key, or the same list in another order or spelling', () => {
    assert.deepEqual(clampedOf({ max_amount: 500 }, { max_amount: 100 }), []);
    assert.deepEqual(clampedOf({ max_amount: 500 }, { max_amount: 500, max_uses: 1 }), []);
    assert.deepEqual(clampedOf({ allowed_recipients: ['a', 'b'] }, { allowed_recipients: ['b', 'a'] }), []);
    assert.deepEqual(clampedOf({ allowed_extensions: ['.PDF', 'txt'] }, { allowed_extensions: ['pdf'] }), []);
    assert.deepEqual(clampedOf({ path_pattern: 'docs/*' }, { path_pattern: ['docs/*'] }), []);
  });

  it('leaves out keys the server does not interpret (those edits are refused, not clamped)', () => {
    assert.deepEqual(clampedKeys({ region: 'eu' }, { region: 'us' }), []);
  });
});
