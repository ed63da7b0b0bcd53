import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { checkScopeAtUse, maxPatternDetailLength } from '../src/scope/check.ts';
import { estimateProgramSize } from '../src/scope/pattern-size.ts';
import { compileScopePattern, SCOPE_REGEX_LIMITS } from '../src/scope/regex.ts';
import { validateScope } from '../src/scope/validate.ts';

// Finding 1: ~40 distinct patterns like `^(.{0,10}a){20}.*b$` in one scope, then a use with a
// 60 kB detail, held the event loop for seconds. The work one scope can cause is now bounded.

const LIMITS = SCOPE_REGEX_LIMITS;
const errorsOf = (scope: unknown) => {
  const result = validateScope(scope, 'request');
  return result.ok ? [] : result.errors;
};

describe('scope pattern limits at request time (finding 1)', () => {
  it('refuses the reported scope: 40 distinct heavy patterns', () => {
    const patterns = Array.from({ length: 40 }, (_, i) => `^(.{0,10}a){20}.*b${'x'.repeat(i)}$`);
    const errors = errorsOf({ path_pattern: patterns });
    assert.ok(errors.length > 0);
    assert.match(errors[0]?.message ?? '', /at most 1000 instructions together|more than 16 patterns/);
  });

  it('counts patterns over every *_pattern key of the scope', () => {
    const scope = {
      a_pattern: Array.from({ length: 10 }, (_, i) => `^a${i}$`),
      b_pattern: Array.from({ length: 7 }, (_, i) => `^b${i}$`),
    };
    assert.deepEqual(errorsOf(scope), [
      { path: 'b_pattern[6]', message: 'more than 16 patterns in one scope' },
    ]);
    assert.equal(validateScope({ ...scope, b_pattern: scope.b_pattern.slice(0, 6) }, 'request').ok, true);
  });

  it('bounds the length of a pattern', () => {
    assert.equal(validateScope({ x_pattern: 'a'.repeat(LIMITS.maxPatternLength) }, 'request').ok, true);
    assert.deepEqual(errorsOf({ x_pattern: 'a'.repeat(LIMITS.maxPatternLength + 1) }), [
      { path: 'x_pattern', message: 'pattern longer than 256 characters' },
    ]);
  });

  it('bounds the program size of one pattern and of the whole scope', () => {
    // 462 instructions: allowed alone, but three of them exceed the scope's 1000.
    const heavy = (i: number) => `(.{0,10}a){20}${i}`;
    assert.equal(validateScope({ x_pattern: heavy(0) }, 'request').ok, true);
    assert.equal(validateScope({ x_pattern: [heavy(0), heavy(1)] }, 'request').ok, true);
    const errors = errorsOf({ x_pattern: [heavy(0), heavy(1), heavy(2)] });
    assert.equal(errors[0]?.path, 'x_pattern[2]');
    assert.match(errors[0]?.message ?? '', /at most 1000 instructions together/);
    const big = errorsOf({ x_pattern: '(.{0,10}a){30}' });
    assert.match(big[0]?.message ?? '', /pattern too complex \(692 instructions\)/);
  });

  it('refuses a pattern that expands to a huge program before compiling it', () => {
    // 212 characters, 202,002 instructions: compiling it alone takes ~100 ms.
    const bomb = `(?i)(${'abcdefghij'.repeat(20)}){1000}`;
    const refused = compileScopePattern(bomb);
    assert.equal(refused.ok, false);
    // No instruction count in the message: it was refused from the estimate, not compiled.
    assert.equal(!refused.ok && refused.message.startsWith('pattern too complex:'), true);
    assert.equal(!refused.ok && refused.tooComplex, true);
  });

  it('keeps ordinary patterns well within the limits', () => {
    for (const pattern of [
      '^Invoice.*',
      '^[A-Za-z0-9._%+-]+@mycompany\\.com$',
      '^/data/reports/[^/]+\\.(csv|json)$',
      '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      '^https://api\\.example\\.com/v[0-9]+/',
    ]) {
      const compiled = compileScopePattern(pattern);
      assert.equal(compiled.ok, true, pattern);
      assert.ok(compiled.ok && compiled.programSize < 100, pattern);
    }
  });
});

describe('pattern details at use (finding 1)', () => {
  it('bounds the detail length by the work budget of the scope', () => {
    assert.equal(maxPatternDetailLength({}), LIMITS.maxDetailLength);
    assert.equal(maxPatternDetailLength({ subject_pattern: '^Invoice' }), LIMITS.maxDetailLength);
    const heavy = { path_pattern: '(.{0,10}a){20}' }; // 462 instructions
    assert.equal(maxPatternDetailLength(heavy), Math.floor(LIMITS.workPerUse / 462));
  });

  it('refuses a longer detail as too long, naming the field, before matching it', () => {
    const scope = { path_pattern: '(.{0,10}a){20}' };
    const limit = maxPatternDetailLength(scope);
    assert.equal(checkScopeAtUse(scope, { path: 'a'.repeat(limit) }).ok, true);
    assert.deepEqual(checkScopeAtUse(scope, { path: 'b'.repeat(60_000) }), {
      ok: false,
      constraint: 'path_pattern',
      reason: 'too_long',
      field: 'actionDetails.path',
      message: `actionDetails.path is 60000 characters long; the patterns of this scope are matched against at most ${limit}`,
    });
  });

  it('leaves long details that no pattern checks alone', () => {
    assert.equal(checkScopeAtUse({ max_size: 5 }, { path: 'x'.repeat(60_000), size: 1 }).ok, true);
  });
});

describe('estimateProgramSize', () => {
  it('is close to re2js on ordinary patterns', () => {
    for (const pattern of ['a', '^Invoice.*', '(a|b|c)', '\\d{4}', '(.{0,10}a){20}', '\\Qa.b\\E']) {
      const real = RE2JS.compile(pattern).programSize();
      const estimate = estimateProgramSize(pattern);
      assert.ok(estimate >= real && estimate <= 2 * real, `${pattern}: ${estimate} vs ${real}`);
    }
  });

  it('never under-estimates what re2js compiles (random patterns)', () => {
    const atom = fc.constantFrom(
      'a',
      'b',
      '.',
      '\\d',
      '\\w',
      '[a-c]',
      '[^x]',
      '\\pL',
      '\\p{Greek}',
      '[]a]',
      '[[:alpha:]]',
      '\\x41',
      '\\x{42}',
      '^',
      '$',
      '\\b',
      '\\Qa.(\\E',
      '{',
      '}',
      ',',
      '\\(',
      '[\\]]',
    );
    const { tree } = fc.letrec<{ tree: string; seq: string; alt: string; group: string; rep: string }>(
      (tie) => ({
        tree: fc.oneof({ depthSize: 'small' }, atom, tie('group'), tie('seq'), tie('alt'), tie('rep')),
        seq: fc.array(tie('tree'), { maxLength: 4 }).map((xs) => xs.join('')),
        alt: fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((xs) => xs.join('|')),
        group: fc
          .tuple(fc.constantFrom('(', '(?:', '(?i)', '(?P<n>', '(?<m>', '(?i:'), tie('tree'))
          .map(([open, inner]) => (open === '(?i)' ? `(?i)${inner}` : `${open}${inner})`)),
        rep: fc
          .tuple(
            tie('tree'),
            fc.constantFrom('*', '+', '?', '*?', '{3}', '{2,5}', '{0,4}', '{3,}', '{0}', '{12}'),
          )
          .map(([inner, quantifier]) => `(?:${inner})${quantifier}`),
      }),
    );
    fc.assert(
      fc.property(tree, (pattern) => {
        let real: number;
        try {
          real = RE2JS.compile(pattern).programSize();
        } catch {
          return true; // refused by RE2 itself
        }
        return estimateProgramSize(pattern) >= real;
      }),
      { numRuns: 3000 },
    );
  });
});
