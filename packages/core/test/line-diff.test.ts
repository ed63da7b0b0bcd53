import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyHunks, diffLines, formatUnifiedDiff } from '../src/policy-history/line-diff.ts';

const text = (...lines: string[]) => lines.join('\n');

describe('line diff', () => {
  it('equal texts have no hunks', () => {
    assert.deepEqual(diffLines('a\nb\n', 'a\nb\n'), []);
    assert.deepEqual(diffLines('', ''), []);
  });

  it('one changed line in the middle: one hunk with three lines of context each side', () => {
    const old = text('1', '2', '3', '4', '5', '6', '7', '8', '9');
    const next = text('1', '2', '3', '4', 'five', '6', '7', '8', '9');
    const hunks = diffLines(old, next);
    assert.equal(hunks.length, 1);
    assert.equal(
      formatUnifiedDiff(hunks, 'a', 'b'),
      '--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n',
    );
  });

  it('changes far apart make separate hunks; close ones merge', () => {
    const old = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const far = [...old];
    far[1] = 'x';
    far[18] = 'y';
    assert.equal(diffLines(text(...old), text(...far)).length, 2);
    const near = [...old];
    near[5] = 'x';
    near[10] = 'y';
    assert.equal(diffLines(text(...old), text(...near)).length, 1);
  });

  it('insertion at the top and into an empty text: starts follow diff -u', () => {
    const [top] = diffLines('b\nc', 'a\nb\nc', 0);
    assert.deepEqual([top?.oldStart, top?.oldLines, top?.newStart, top?.newLines], [0, 0, 1, 1]);
    const [removedAll] = diffLines('a\nb', '', 0);
    assert.deepEqual([removedAll?.oldLines, removedAll?.newStart, removedAll?.newLines], [2, 0, 0]);
    const [fromNothing] = diffLines('', 'a\n', 0);
    assert.deepEqual(
      fromNothing?.lines.map((l) => l.kind),
      ['add', 'add'],
      'the empty text has no lines',
    );
    assert.equal(applyHunks('a\nb', diffLines('a\nb', '', 0)), '');
  });

  it('a hunk that does not fit the old text is refused', () => {
    const hunks = diffLines('a\nb\nc', 'a\nB\nc');
    assert.throws(() => applyHunks('a\nX\nc', hunks), /does not match/);
  });

  it('a very large rewrite stays correct (removed and re-added past the table bound)', () => {
    const old = Array.from({ length: 2500 }, (_, i) => `old ${i}`).join('\n');
    const next = Array.from({ length: 2500 }, (_, i) => `new ${i}`).join('\n');
    assert.equal(applyHunks(old, diffLines(old, next)), next);
  });
});

// Texts from a few short lines so that old and new share lines often, as policy edits do.
const lines = fc.array(fc.constantFrom('a', 'b', 'c', '', '  - x', 'decision: deny', 'é'), { maxLength: 30 });
const texts = lines.map((l) => l.join('\n'));

describe('line diff: properties', () => {
  it('applying the diff to the old text yields the new text, for any context size', () => {
    fc.assert(
      fc.property(texts, texts, fc.integer({ min: 0, max: 5 }), (old, next, context) => {
        assert.equal(applyHunks(old, diffLines(old, next, context)), next);
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary strings, newlines and CRs included, round-trip too', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), (old, next) => {
        assert.equal(applyHunks(old, diffLines(old, next)), next);
      }),
      { numRuns: 1000 },
    );
  });

  it('the diff is minimal in changed lines: removed + added = |old| + |new| − 2·LCS', () => {
    const lcs = (a: string[], b: string[]): number => {
      const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++)
          (t[i] as number[])[j] =
            a[i - 1] === b[j - 1]
              ? ((t[i - 1] as number[])[j - 1] as number) + 1
              : Math.max((t[i - 1] as number[])[j] as number, (t[i] as number[])[j - 1] as number);
      return (t[a.length] as number[])[b.length] as number;
    };
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const changed = diffLines(a.join('\n'), b.join('\n'))
          .flatMap((h) => h.lines)
          .filter((l) => l.kind !== 'context').length;
        const split = (t: string) => (t === '' ? [] : t.split('\n'));
        const oldLines = split(a.join('\n'));
        const newLines = split(b.join('\n'));
        assert.equal(changed, oldLines.length + newLines.length - 2 * lcs(oldLines, newLines));
      }),
      { numRuns: 500 },
    );
  });

  it('hunk headers count their lines', () => {
    fc.assert(
      fc.property(texts, texts, (old, next) => {
        for (const h of diffLines(old, next)) {
          assert.equal(h.oldLines, h.lines.filter((l) => l.kind !== 'add').length);
          assert.equal(h.newLines, h.lines.filter((l) => l.kind !== 'remove').length);
        }
      }),
    );
  });
});
