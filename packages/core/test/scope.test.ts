import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkScopeAtUse, unenforcedConstraints } from '../src/scope/check.ts';
import { classifyConstraint } from '../src/scope/convention.ts';
import { narrowGrantedScope, narrowScope, usesAllowed } from '../src/scope/narrow.ts';
import { cachedScopePattern, regexCacheSize } from '../src/scope/regex.ts';
import { SCOPE_LIMITS, validateScope } from '../src/scope/validate.ts';
import type { JsonObject, Scope } from '../src/types.ts';

function errorsOf(scope: unknown, origin: 'request' | 'template' | 'approver' = 'request') {
  const result = validateScope(scope, origin);
  return result.ok ? [] : result.errors;
}

describe('classifyConstraint', () => {
  it('follows the documented convention and order', () => {
    assert.deepEqual(classifyConstraint('max_uses'), { kind: 'count' });
    assert.deepEqual(classifyConstraint('max_emails'), { kind: 'count' });
    assert.deepEqual(classifyConstraint('max_requests'), { kind: 'count' });
    assert.deepEqual(classifyConstraint('max_size'), { kind: 'max', field: 'size' });
    assert.deepEqual(classifyConstraint('size_limit'), { kind: 'max', field: 'size' });
    assert.deepEqual(classifyConstraint('max_size_limit'), { kind: 'max', field: 'size_limit' });
    assert.deepEqual(classifyConstraint('min_amount'), { kind: 'min', field: 'amount' });
    assert.deepEqual(classifyConstraint('subject_pattern'), { kind: 'pattern', field: 'subject' });
    assert.deepEqual(classifyConstraint('allowed_extensions'), { kind: 'extensions' });
    assert.deepEqual(classifyConstraint('allowed_recipients'), {
      kind: 'allowed',
      fields: ['recipient', 'recipients'],
    });
    assert.deepEqual(classifyConstraint('allowed_addresses'), {
      kind: 'allowed',
      fields: ['address', 'addresses'],
    });
    assert.deepEqual(classifyConstraint('allowed_data'), { kind: 'allowed', fields: ['data'] });
    for (const key of ['purpose', 'max_', 'min_', 'allowed_', '_pattern', '_limit', 'maximum']) {
      assert.deepEqual(classifyConstraint(key), { kind: 'unknown' }, key);
    }
  });
});

describe('validateScope', () => {
  it('accepts well-formed scopes, including unknown keys', () => {
    const scope = {
      max_uses: 3,
      max_emails: 1,
      max_size: 1048576,
      size_limit: 0,
      min_amount: 2.5,
      subject_pattern: '^Invoice',
      recipient_pattern: ['@corp\\.com$', '^a'],
      allowed_extensions: ['.txt', 'MD'],
      allowed_recipients: ['a@corp.com', 7],
      purpose: { free: ['form', 1, null, true] },
    };
    assert.deepEqual(validateScope(scope, 'request'), { ok: true, scope });
  });

  it('refuses what is not a JSON object', () => {
    for (const bad of [null, [], 'x', 3, new Date()]) {
      assert.deepEqual(errorsOf(bad), [{ path: '', message: 'scope must be a JSON object' }]);
    }
  });

  it('checks each interpreted constraint type', () => {
    const cases: [JsonObject, string, RegExp][] = [
      [{ max_uses: 0 }, 'max_uses', /positive integer or "unlimited"/],
      [{ max_uses: 1.5 }, 'max_uses', /positive integer/],
      [{ max_uses: '3' }, 'max_uses', /positive integer/],
      [{ max_emails: -1 }, 'max_emails', /must be a positive integer$/],
      [{ max_calls: 'unlimited' }, 'max_calls', /must be a positive integer$/],
      [{ max_size: -1 }, 'max_size', /finite number ≥ 0/],
      [{ max_size: '10' }, 'max_size', /finite number/],
      [{ size_limit: Number.POSITIVE_INFINITY }, 'size_limit', /not a JSON value/],
      [{ min_amount: true }, 'min_amount', /finite number/],
      [{ subject_pattern: 5 }, 'subject_pattern', /regular expression or a non-empty list/],
      [{ subject_pattern: [] }, 'subject_pattern', /non-empty list/],
      [{ subject_pattern: '(' }, 'subject_pattern', /invalid regular expression: .*missing closing \)/],
      [{ subject_pattern: ['ok', 'a(?=b)'] }, 'subject_pattern[1]', /invalid regular expression/],
      [{ subject_pattern: 'a'.repeat(2000) }, 'subject_pattern', /pattern longer than 256/],
      [{ allowed_extensions: '.txt' }, 'allowed_extensions', /list of extensions/],
      [{ allowed_extensions: ['.txt', 3] }, 'allowed_extensions', /list of extensions/],
      [{ allowed_extensions: [''] }, 'allowed_extensions', /list of extensions/],
      [{ allowed_recipients: 'a@b.c' }, 'allowed_recipients', /list of strings or numbers/],
      [{ allowed_recipients: [{ a: 1 }] }, 'allowed_recipients', /list of strings or numbers/],
    ];
    for (const [scope, path, message] of cases) {
      const errors = errorsOf(scope);
      assert.equal(errors.length, 1, JSON.stringify(scope));
      assert.equal(errors[0]?.path, path);
      assert.match(errors[0]?.message ?? '', message);
    }
  });

  it('reports every bad constraint, not just the first', () => {
    const errors = errorsOf({ max_size: -1, min_x: 'a', max_uses: 0 });
    assert.deepEqual(
      errors.map((e) => e.path),
      ['max_size', 'min_x', 'max_uses'],
    );
  });

  it('allows "unlimited" only from a policy template', () => {
    assert.equal(validateScope({ max_uses: 'unlimited' }, 'template').ok, true);
    for (const origin of ['request', 'approver'] as const) {
      const errors = errorsOf({ max_uses: 'unlimited' }, origin);
      assert.deepEqual(errors, [
        { path: 'max_uses', message: '"unlimited" may only be granted by a policy scopeTemplate' },
      ]);
    }
  });

  it('bounds size, depth and list length', () => {
    const many = Object.fromEntries(Array.from({ length: SCOPE_LIMITS.maxKeys + 1 }, (_, i) => [`k${i}`, i]));
    assert.match(errorsOf(many)[0]?.message ?? '', /more than 100 keys/);
    const nestedKeys = { a: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])) };
    assert.match(errorsOf(nestedKeys)[0]?.message ?? '', /more than 100 keys/);
    assert.equal(validateScope({ a: { b: { c: { d: 1 } } } }, 'request').ok, true);
    const deep = errorsOf({ a: { b: { c: { d: { e: 1 } } } } });
    assert.deepEqual(deep, [{ path: 'a.b.c.d.e', message: 'nested deeper than 5 levels' }]);
    assert.match(
      errorsOf({ list: Array.from({ length: 1001 }, () => 1) })[0]?.message ?? '',
      /list longer than 1000/,
    );
  });

  it('refuses non-JSON values and a "__proto__" key', () => {
    assert.deepEqual(errorsOf({ a: undefined }), [{ path: 'a', message: 'not a JSON value' }]);
    assert.deepEqual(errorsOf({ a: Number.NaN }), [{ path: 'a', message: 'not a JSON value' }]);
    assert.deepEqual(errorsOf({ a: () => 1 }), [{ path: 'a', message: 'not a JSON value' }]);
    assert.deepEqual(errorsOf(JSON.parse('{"x": {"__proto__": {}}}')), [
      { path: 'x.__proto__', message: 'reserved key name' },
    ]);
  });
});

describe('usesAllowed', () => {
  it('defaults to one use', () => {
    assert.equal(usesAllowed({}), 1);
    assert.equal(usesAllowed({ max_size: 10 }), 1);
  });

  it('is the minimum of the count constraints', () => {
    assert.equal(usesAllowed({ max_uses: 5 }), 5);
    assert.equal(usesAllowed({ max_emails: 1 }), 1);
    assert.equal(usesAllowed({ max_uses: 5, max_messages: 3, max_calls: 4 }), 3);
    assert.equal(usesAllowed({ max_requests: 2, max_uses: 'unlimited' }), 2);
  });

  it('is unlimited only for max_uses "unlimited" alone', () => {
    assert.equal(usesAllowed({ max_uses: 'unlimited' }), null);
    assert.equal(usesAllowed({ max_uses: 'unlimited', max_emails: 10 }), 10);
  });

  it('fails closed on malformed counts', () => {
    assert.equal(usesAllowed({ max_uses: 'lots' }), 1);
    assert.equal(usesAllowed({ max_uses: 0 }), 1);
    assert.equal(usesAllowed({ max_emails: 'unlimited' }), 1);
  });
});

describe('narrowScope', () => {
  it('keeps the stricter of each constraint', () => {
    const base: Scope = {
      max_uses: 5,
      max_size: 100,
      size_limit: 50,
      min_amount: 1,
      subject_pattern: '^Invoice',
      allowed_extensions: ['.txt', '.MD', '.json'],
      allowed_recipients: ['a', 'b', 'c'],
    };
    const narrower: Scope = {
      max_uses: 2,
      max_size: 200,
      size_limit: 10,
      min_amount: 5,
      subject_pattern: ['2024$', '^Invoice'],
      allowed_extensions: ['.md', '.json', '.exe'],
      allowed_recipients: ['c', 'a', 'z'],
    };
    assert.deepEqual(narrowScope(base, narrower), {
      max_uses: 2,
      max_size: 100,
      size_limit: 10,
      min_amount: 5,
      subject_pattern: ['^Invoice', '2024$'],
      allowed_extensions: ['.MD', '.json'],
      allowed_recipients: ['a', 'c'],
    });
  });

  it('keeps constraints present on one side (adding a constraint narrows)', () => {
    assert.deepEqual(narrowScope({ max_size: 1 }, { max_emails: 1, purpose: 'x' }), {
      max_size: 1,
      max_emails: 1,
      purpose: 'x',
    });
  });

  it('turns unlimited into the number on the other side', () => {
    assert.deepEqual(narrowScope({ max_uses: 3 }, { max_uses: 'unlimited' }), { max_uses: 3 });
    assert.deepEqual(narrowScope({ max_uses: 'unlimited' }, { max_uses: 3 }), { max_uses: 3 });
    assert.deepEqual(narrowScope({}, { max_uses: 'unlimited' }), { max_uses: 'unlimited' });
  });

  it('lets the narrowing side win for unknown keys', () => {
    assert.deepEqual(narrowScope({ purpose: 'a', tier: 1 }, { purpose: 'b' }), { purpose: 'b', tier: 1 });
  });

  it('keeps a malformed value so the check fails closed', () => {
    assert.deepEqual(narrowScope({ max_size: 10 }, { max_size: 'big' }), { max_size: 'big' });
    assert.deepEqual(narrowScope({ max_size: 'big' }, { max_size: 10 }), { max_size: 'big' });
    assert.deepEqual(narrowScope({ allowed_recipients: 'a' }, { allowed_recipients: ['a'] }), {
      allowed_recipients: 'a',
    });
  });

  it('does not mutate its inputs and keeps "__proto__" an own key', () => {
    const base = JSON.parse('{"max_size": 5, "__proto__": {"x": 1}}') as Scope;
    const narrower = { max_size: 3 };
    const result = narrowScope(base, narrower);
    assert.deepEqual(Object.keys(result), ['max_size', '__proto__']);
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.deepEqual(base, JSON.parse('{"max_size": 5, "__proto__": {"x": 1}}'));
    assert.deepEqual(narrower, { max_size: 3 });
  });

  it('narrows a grant without widening its single default use', () => {
    assert.equal(usesAllowed(narrowScope({}, { max_uses: 3 })), 3);
    assert.equal(usesAllowed(narrowGrantedScope({}, { max_uses: 3 })), 1);
    assert.equal(usesAllowed(narrowGrantedScope({ max_uses: 5 }, { max_uses: 3 })), 3);
    assert.equal(usesAllowed(narrowGrantedScope({ max_uses: 'unlimited' }, { max_emails: 3 })), 3);
    assert.equal(usesAllowed(narrowGrantedScope({ max_uses: 'unlimited' }, {})), null);
    assert.deepEqual(narrowGrantedScope({ max_size: 10 }, { max_size: 4 }), { max_size: 4, max_uses: 1 });
  });
});

describe('narrowing never widens (random scopes)', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pick = <T>(items: readonly T[]): T => items[rand(items.length)] as T;
  const subset = <T>(items: readonly T[]): T[] => items.filter(() => rand(2) === 0);
  const exts = ['.txt', '.md', '.JSON', '.exe'];
  const people = ['a', 'b', 'c', 'd'];
  const patterns = ['^a', 'b$', 'c', '^[ab]+$'];

  function randomScope(): Scope {
    const scope: Scope = {};
    if (rand(2)) scope.max_uses = rand(4) === 0 ? 'unlimited' : 1 + rand(5);
    if (rand(2)) scope.max_emails = 1 + rand(5);
    if (rand(2)) scope.max_size = rand(100);
    if (rand(2)) scope.size_limit = rand(100);
    if (rand(2)) scope.min_amount = rand(50);
    if (rand(2))
      scope.subject_pattern = rand(2)
        ? pick(patterns)
        : [...new Set(subset(patterns).concat(pick(patterns)))];
    if (rand(2)) scope.allowed_extensions = subset(exts);
    if (rand(2)) scope.allowed_recipients = subset(people);
    if (rand(3) === 0) scope.purpose = pick(['x', 'y']);
    return scope;
  }

  function randomDetails(): JsonObject {
    const details: JsonObject = {};
    if (rand(3)) details.size = rand(120);
    if (rand(3)) details.amount = rand(60);
    if (rand(3)) details.subject = pick(['a', 'ab', 'abc', 'b', 'c', 'ba', 'd']);
    if (rand(3)) details.path = `/tmp/file${pick(['.txt', '.md', '.json', '.exe', '.TXT', ''])}`;
    if (rand(4) === 0) details.extension = pick(['txt', '.md', '.exe']);
    if (rand(3)) details.recipient = pick(people);
    if (rand(4) === 0) details.recipients = subset(people);
    return details;
  }

  const bound = (uses: number | null) => uses ?? Number.POSITIVE_INFINITY;
  /** A side with no count constraint imposes no bound of its own. */
  const sideBound = (scope: Scope) =>
    Object.keys(scope).some((k) => classifyConstraint(k).kind === 'count')
      ? bound(usesAllowed(scope))
      : Number.POSITIVE_INFINITY;

  it('accepts only details that both sides accept, with no more uses than either allows', () => {
    for (let round = 0; round < 500; round++) {
      const a = randomScope();
      const b = randomScope();
      const narrowed = narrowScope(a, b);
      assert.ok(validateScope(a, 'template').ok && validateScope(b, 'template').ok);
      assert.equal(validateScope(narrowed, 'template').ok, true, JSON.stringify(narrowed));
      assert.ok(bound(usesAllowed(narrowed)) <= Math.min(sideBound(a), sideBound(b)));
      for (const key of Object.keys(a).concat(Object.keys(b))) assert.ok(Object.hasOwn(narrowed, key), key);
      for (let k = 0; k < 20; k++) {
        const details = randomDetails();
        const result = checkScopeAtUse(narrowed, details);
        if (!result.ok) continue;
        const onA = checkScopeAtUse(a, details);
        const onB = checkScopeAtUse(b, details);
        const context = JSON.stringify({ a, b, narrowed, details });
        assert.equal(onA.ok, true, context);
        assert.equal(onB.ok, true, context);
      }
    }
  });

  it('is idempotent', () => {
    for (let round = 0; round < 200; round++) {
      const a = randomScope();
      const b = randomScope();
      const once = narrowScope(a, b);
      assert.deepEqual(narrowScope(once, b), once);
      assert.deepEqual(narrowScope(once, once), once);
    }
  });
});

describe('checkScopeAtUse', () => {
  it('enforces the README examples', () => {
    const scope = {
      max_emails: 1,
      subject_pattern: '^Invoice.*',
      max_size: 1048576,
      allowed_extensions: ['.txt', '.md', '.json'],
    };
    assert.deepEqual(checkScopeAtUse(scope, { subject: 'Invoice 42', size: 1024, path: '/docs/Notes.TXT' }), {
      ok: true,
      unchecked: [],
    });
    assert.deepEqual(checkScopeAtUse(scope, { subject: 'Hello' }), {
      ok: false,
      constraint: 'subject_pattern',
      message: 'actionDetails.subject "Hello" does not match subject_pattern "^Invoice.*"',
      reason: 'violation',
    });
    assert.deepEqual(checkScopeAtUse(scope, { size: 2_000_000 }), {
      ok: false,
      constraint: 'max_size',
      message: 'actionDetails.size 2000000 exceeds max_size 1048576',
      reason: 'violation',
    });
    assert.deepEqual(checkScopeAtUse(scope, { path: 'run.exe' }), {
      ok: false,
      constraint: 'allowed_extensions',
      message: 'actionDetails.path "run.exe" is not one of allowed_extensions [".txt",".md",".json"]',
      reason: 'violation',
    });
  });

  it('lists constraints whose detail is absent as unchecked, sorted', () => {
    const scope = {
      subject_pattern: '^a',
      max_size: 5,
      allowed_extensions: ['.txt'],
      allowed_recipients: ['x'],
      max_uses: 2,
      purpose: 'p',
    };
    assert.deepEqual(checkScopeAtUse(scope, undefined), {
      ok: true,
      unchecked: ['allowed_extensions', 'allowed_recipients', 'max_size', 'subject_pattern'],
    });
    assert.deepEqual(checkScopeAtUse(scope, { size: 1, subject: null }), {
      ok: true,
      unchecked: ['allowed_extensions', 'allowed_recipients', 'subject_pattern'],
    });
    assert.deepEqual(checkScopeAtUse({}, undefined), { ok: true, unchecked: [] });
  });

  it('refuses absent details under strict enforcement, naming what is required (finding 3)', () => {
    const scope = {
      allowed_extensions: ['.txt'],
      allowed_countries: ['DE'],
      max_size: 5,
      subject_pattern: '^a',
      max_uses: 2,
      purpose: 'p',
    };
    const required: [string, string][] = [
      ['allowed_countries', 'actionDetails.country or actionDetails.countries'],
      ['allowed_extensions', 'actionDetails.path or actionDetails.extension'],
      ['max_size', 'actionDetails.size'],
      ['subject_pattern', 'actionDetails.subject'],
    ];
    const details: JsonObject = {};
    for (const [constraint, names] of required) {
      assert.deepEqual(checkScopeAtUse(scope, details, 'strict'), {
        ok: false,
        constraint,
        message: `${names} is required by ${constraint} (strict enforcement)`,
        reason: 'violation',
      });
      assert.equal(checkScopeAtUse(scope, details, 'lenient').ok, true);
      // Supply this one and the next constraint is the one missing.
      Object.assign(
        details,
        {
          allowed_countries: { country: 'DE' },
          allowed_extensions: { path: 'a.txt' },
          max_size: { size: 1 },
          subject_pattern: { subject: 'ab' },
        }[constraint],
      );
    }
    // Everything the server interprets is given: counts and unknown keys need no detail.
    assert.deepEqual(checkScopeAtUse(scope, details, 'strict'), { ok: true, unchecked: [] });
    // null counts as absent.
    assert.equal(checkScopeAtUse(scope, { ...details, size: null }, 'strict').ok, false);
  });

  it('refuses a mistyped detail under both enforcements', () => {
    for (const mode of ['strict', 'lenient'] as const) {
      assert.equal(checkScopeAtUse({ max_amount: 10 }, { amount: '5' }, mode).ok, false);
      assert.equal(checkScopeAtUse({ allowed_countries: ['DE'] }, { country: ['DE', 1] }, mode).ok, false);
    }
  });

  it('checks limits, minima and bounds inclusively', () => {
    assert.equal(checkScopeAtUse({ size_limit: 10 }, { size: 10 }).ok, true);
    assert.deepEqual(checkScopeAtUse({ size_limit: 10 }, { size: 11 }), {
      ok: false,
      constraint: 'size_limit',
      message: 'actionDetails.size 11 exceeds size_limit 10',
      reason: 'violation',
    });
    assert.equal(checkScopeAtUse({ min_amount: 5 }, { amount: 5 }).ok, true);
    assert.deepEqual(checkScopeAtUse({ min_amount: 5 }, { amount: 4 }), {
      ok: false,
      constraint: 'min_amount',
      message: 'actionDetails.amount 4 is below min_amount 5',
      reason: 'violation',
    });
  });

  it('treats a wrong type as a violation', () => {
    assert.deepEqual(checkScopeAtUse({ max_size: 10 }, { size: '5' }), {
      ok: false,
      constraint: 'max_size',
      message: 'actionDetails.size "5" is not a number (max_size 10)',
      reason: 'violation',
    });
    assert.deepEqual(checkScopeAtUse({ subject_pattern: 'a' }, { subject: 5 }), {
      ok: false,
      constraint: 'subject_pattern',
      message: 'actionDetails.subject 5 is not a string (subject_pattern)',
      reason: 'violation',
    });
    assert.equal(checkScopeAtUse({ allowed_extensions: ['.txt'] }, { path: 5 }).ok, false);
    assert.equal(checkScopeAtUse({ allowed_recipients: ['a'] }, { recipient: { a: 1 } }).ok, false);
  });

  it('requires every pattern of a list to match', () => {
    const scope = { recipient_pattern: ['@corp\\.com$', '^[a-z]+@'] };
    assert.equal(checkScopeAtUse(scope, { recipient: 'ann@corp.com' }).ok, true);
    const failed = checkScopeAtUse(scope, { recipient: 'Ann@corp.com' });
    assert.equal(failed.ok, false);
    assert.equal(
      !failed.ok && failed.message,
      'actionDetails.recipient "Ann@corp.com" does not match recipient_pattern "^[a-z]+@"',
    );
  });

  it('checks extensions from the path and from extension, case-insensitively', () => {
    const scope = { allowed_extensions: ['.txt', 'md'] };
    assert.equal(checkScopeAtUse(scope, { path: 'C:\\docs\\a.b\\README.MD' }).ok, true);
    assert.equal(checkScopeAtUse(scope, { extension: 'TXT' }).ok, true);
    assert.equal(checkScopeAtUse(scope, { extension: '.md' }).ok, true);
    assert.equal(checkScopeAtUse(scope, { path: '/etc/dir.txt/passwd' }).ok, false);
    assert.equal(checkScopeAtUse(scope, { path: 'noext' }).ok, false);
    // Both are checked when both are given: one cannot mask the other.
    const masked = checkScopeAtUse(scope, { path: 'run.exe', extension: '.txt' });
    assert.equal(masked.ok, false);
    assert.equal(!masked.ok && masked.constraint, 'allowed_extensions');
    assert.equal(checkScopeAtUse(scope, { path: 'a.txt', extension: '.exe' }).ok, false);
  });

  it('checks allowed lists against singular and plural details', () => {
    const scope = { allowed_recipients: ['a@x.com', 'b@x.com'], allowed_addresses: ['1 Main St'] };
    assert.equal(checkScopeAtUse(scope, { recipient: 'a@x.com' }).ok, true);
    assert.equal(checkScopeAtUse(scope, { recipients: ['a@x.com', 'b@x.com'] }).ok, true);
    assert.equal(checkScopeAtUse(scope, { address: '1 Main St' }).ok, true);
    assert.deepEqual(checkScopeAtUse(scope, { recipients: ['a@x.com', 'evil@y.com'] }), {
      ok: false,
      constraint: 'allowed_recipients',
      message: 'actionDetails.recipients "evil@y.com" is not one of allowed_recipients ["a@x.com","b@x.com"]',
      reason: 'violation',
    });
    assert.equal(checkScopeAtUse(scope, { recipient: 'a@x.com', recipients: ['c@x.com'] }).ok, false);
    assert.deepEqual(checkScopeAtUse({ allowed_ids: [1, 2] }, { id: 2 }), { ok: true, unchecked: [] });
    assert.equal(checkScopeAtUse({ allowed_ids: [1, 2] }, { id: '2' }).ok, false);
  });

  it('fails closed on malformed stored constraints', () => {
    assert.equal(checkScopeAtUse({ max_size: 'big' }, { size: 1 }).ok, false);
    assert.equal(checkScopeAtUse({ subject_pattern: '(' }, { subject: 'a' }).ok, false);
    assert.equal(checkScopeAtUse({ allowed_extensions: '.txt' }, { path: 'a.txt' }).ok, false);
  });

  it('ignores details that no constraint mentions', () => {
    assert.deepEqual(checkScopeAtUse({ max_size: 5 }, { size: 1, other: 'x' }), { ok: true, unchecked: [] });
  });

  it('matches patterns in linear time', () => {
    const result = checkScopeAtUse({ text_pattern: '(a+)+$' }, { text: `${'a'.repeat(4000)}!` });
    assert.equal(result.ok, false);
  });
});

describe('unenforcedConstraints', () => {
  it('lists the keys the server does not interpret, sorted', () => {
    assert.deepEqual(
      unenforcedConstraints({
        purpose: 'x',
        max_size: 1,
        approved_by: 'me',
        subject_pattern: 'a',
        allowed_ids: [1],
        max_uses: 2,
      }),
      ['approved_by', 'purpose'],
    );
    assert.deepEqual(unenforcedConstraints({}), []);
  });
});

describe('regex cache', () => {
  it('reuses compiled patterns and stays bounded', () => {
    const first = cachedScopePattern('^cache-test$');
    assert.equal(cachedScopePattern('^cache-test$'), first);
    for (let i = 0; i < 2000; i++) cachedScopePattern(`^p${i}$`);
    assert.ok(regexCacheSize() <= 512);
    assert.equal(cachedScopePattern('(').ok, false);
  });
});
