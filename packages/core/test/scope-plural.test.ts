import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkScopeAtUse } from '../src/scope/check.ts';
import { classifyConstraint } from '../src/scope/convention.ts';
import { allowedDetailNames, singularsOf } from '../src/scope/plural.ts';

// Finding 2: `allowed_countries` checked a detail named "countrie", so `country: "KP"` passed
// unchecked. Every plural form the rules know is listed here with the singulars it maps to.
const TABLE: [plural: string, singulars: string[]][] = [
  // plain -s
  ['recipients', ['recipient']],
  ['ids', ['id']],
  ['hosts', ['host']],
  ['users', ['user']],
  ['channels', ['channel']],
  ['domains', ['domain']],
  ['keys', ['key']],
  ['days', ['day']],
  // -ies → -y (the finding), and the listed -ie words
  ['countries', ['country']],
  ['categories', ['category']],
  ['currencies', ['currency']],
  ['companies', ['company']],
  ['policies', ['policy']],
  ['repositories', ['repository']],
  ['proxies', ['proxy']],
  ['replies', ['reply']],
  ['cities', ['city']],
  ['movies', ['movie']],
  ['cookies', ['cookie']],
  // -ves → -ve, and the listed -f / -fe words
  ['drives', ['drive']],
  ['archives', ['archive']],
  ['directives', ['directive']],
  ['leaves', ['leaf']],
  ['shelves', ['shelf']],
  ['knives', ['knife']],
  ['lives', ['life']],
  // -es after ss, sh, x, zz
  ['addresses', ['address']],
  ['classes', ['class']],
  ['processes', ['process']],
  ['hashes', ['hash']],
  ['boxes', ['box']],
  ['prefixes', ['prefix']],
  ['buzzes', ['buzz']],
  // ambiguous -ches, -oes, -ses: both singulars
  ['branches', ['branch', 'branche']],
  ['caches', ['cach', 'cache']],
  ['heroes', ['hero', 'heroe']],
  ['shoes', ['sho', 'shoe']],
  ['statuses', ['status', 'statuse']],
  ['aliases', ['alias', 'aliase']],
  ['databases', ['databas', 'database']],
  ['licenses', ['licens', 'license']],
  ['responses', ['respons', 'response']],
  // irregulars
  ['people', ['person']],
  ['children', ['child']],
  ['men', ['man']],
  ['women', ['woman']],
  ['mice', ['mouse']],
  ['indices', ['index']],
  ['matrices', ['matrix']],
  ['vertices', ['vertex']],
  ['analyses', ['analysis']],
  ['criteria', ['criterion']],
  ['phenomena', ['phenomenon']],
  ['quizzes', ['quiz']],
  // invariant, and words that are not plurals
  ['data', []],
  ['metadata', []],
  ['series', []],
  ['species', []],
  ['access', []],
  ['status', []],
  ['analysis', []],
  ['constructor', []],
  ['__proto__', []],
];

describe('allowed_<plural> detail names (finding 2)', () => {
  for (const [plural, singulars] of TABLE) {
    it(`${plural} → ${singulars.join(', ') || '(plural only)'}`, () => {
      assert.deepEqual(singularsOf(plural), singulars);
      // The plural itself is always checked too, after the singulars.
      assert.deepEqual(allowedDetailNames(plural), [...singulars, plural]);
      assert.deepEqual(classifyConstraint(`allowed_${plural}`), {
        kind: 'allowed',
        fields: [...singulars, plural],
      });
    });
  }

  it('enforces allowed_countries against a country detail (the reported payload)', () => {
    const scope = { allowed_countries: ['DE'] };
    assert.deepEqual(checkScopeAtUse(scope, { country: 'KP' }), {
      ok: false,
      constraint: 'allowed_countries',
      message: 'actionDetails.country "KP" is not one of allowed_countries ["DE"]',
      reason: 'violation',
    });
    assert.deepEqual(checkScopeAtUse(scope, { country: 'DE' }), { ok: true, unchecked: [] });
    assert.equal(checkScopeAtUse(scope, { countries: ['DE', 'KP'] }).ok, false);
  });

  it('checks every singular of every form: none is left for a detail to slip through', () => {
    for (const [plural, singulars] of TABLE) {
      const scope = { [`allowed_${plural}`]: ['ok'] };
      for (const name of [...singulars, plural]) {
        const result = checkScopeAtUse(scope, { [name]: 'not-listed' });
        assert.equal(result.ok, false, `allowed_${plural} did not check ${name}`);
        assert.deepEqual(checkScopeAtUse(scope, { [name]: 'ok' }), { ok: true, unchecked: [] });
      }
    }
  });
});
