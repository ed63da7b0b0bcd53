import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../src/audit/canonical-json.ts';

/**
 * Every audit hash covers canonicalJson's text, so a faster writing of it must give the same
 * bytes for every value: held here to the plain definition it replaced (FAST_CHECK_RUNS=10000
 * for a larger search).
 */
const RUNS = Number(process.env.FAST_CHECK_RUNS) || 1000;

function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${reference((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

describe('canonicalJson', () => {
  it('gives the same text as its plain definition for any value', () => {
    const value = fc.anything({
      maxDepth: 4,
      withNullPrototype: true,
      withSparseArray: true,
      withBoxedValues: false,
      withObjectString: true,
    });
    fc.assert(
      fc.property(value, (v) => {
        assert.equal(canonicalJson(v), reference(v), 'canonicalJson changed its output');
      }),
      { numRuns: RUNS },
    );
  });

  it('sorts keys at every depth and leaves out undefined members', () => {
    assert.equal(
      canonicalJson({ b: [2, { d: 1, c: undefined, a: null }], a: 'x' }),
      '{"a":"x","b":[2,{"a":null,"d":1}]}',
    );
  });
});
