/**
 * Seeded generators of hostile input for the request fuzzer: malformed JSON, type confusion,
 * prototype keys, oversized and deeply nested values, regular-expression bombs, control
 * characters, and strings that carry real credentials (so the fuzzer can prove none of them is
 * ever echoed, logged or audited). The same seed gives the same run, so a failure replays.
 */

export interface Rng {
  next(): number;
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
}

export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return {
    next,
    int: (max) => Math.floor(next() * max),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
  };
}

export const WEIRD_STRINGS: readonly string[] = [
  '',
  ' ',
  'perm_',
  'perm_../../etc',
  '%00',
  '\u0000',
  '\r\nSet-Cookie: x=1',
  '\t',
  '😀'.repeat(50),
  '\ud800',
  'a'.repeat(5000),
  '__proto__',
  'constructor',
  'prototype',
  '{"a":1}',
  'null',
  '-1',
  '1e309',
  'otp_',
  'ak_',
  '<script>alert(1)</script>',
  "'; DROP TABLE permissions; --",
  '../../../../etc/passwd',
  '//evil.example',
  '/\t/evil.example',
  'javascript:alert(1)',
];

/** Patterns that are expensive for a regex engine, valid or not. */
export const REGEX_BOMBS: readonly string[] = [
  '^(.{0,10}a){20}.*b$',
  '(a+)+$',
  '(a|aa)+b',
  '^(\\w+\\s?)*$',
  `${'(a?)'.repeat(30)}${'a'.repeat(30)}`,
  '(?=a)a',
  '(a)\\1',
  '[',
  'x{1000}{1000}',
  '.*'.repeat(100),
];

const KEYS = [
  'action',
  'resource',
  'scope',
  'context',
  'ttl',
  'token',
  'actionDetails',
  'reason',
  'max_uses',
  'max_emails',
  'subject_pattern',
  'path_pattern',
  'max_size',
  'max_amount',
  'allowed_extensions',
  'allowed_countries',
  'allowed_recipients',
  'recipient',
  'amount',
  'path',
  'size',
  'country',
  '__proto__',
  'constructor',
  'size_limit',
  'x',
] as const;

/**
 * Generates values of every JSON type. `secrets` are real credentials of the run; they are
 * planted inside strings so that any place that stores or echoes input is caught carrying one.
 */
export function createHostileValues(rng: Rng, secrets: () => readonly string[]) {
  function secretString(): string {
    const known = secrets();
    const secret = known.length > 0 ? rng.pick(known) : 'otp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    return rng.pick([secret, `x${secret}`, `see ${secret} here`, `${secret}.`, `"${secret}"`]);
  }

  function value(depth = 0): unknown {
    switch (rng.int(depth > 3 ? 9 : 12)) {
      case 0:
        return null;
      case 1:
        return rng.pick([true, false]);
      case 2:
        return rng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 1_000_000]);
      case 3:
        return rng.pick(WEIRD_STRINGS);
      case 4:
        return `s${rng.int(1000)}`;
      case 5:
        return rng.pick(['file.read', 'gmail.send', 'bank.transfer', 'a.b', 'mcp.fs.write']);
      case 6:
        return rng.pick([30, 300, 3600, 29, 3601, '300', 5000, '5000']);
      case 7:
        return secretString();
      case 8:
        return rng.pick(REGEX_BOMBS);
      case 9:
        return Array.from({ length: rng.int(4) }, () => value(depth + 1));
      default: {
        const out: Record<string, unknown> = {};
        // Defined, not assigned, so "__proto__" becomes an own key that JSON carries.
        for (let i = rng.int(5); i > 0; i--) {
          Object.defineProperty(out, rng.pick(KEYS), {
            value: value(depth + 1),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
    }
  }

  /** A scope an attacker would send: many patterns, huge counts, confused types. */
  function scope(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    switch (rng.int(4)) {
      case 0:
        for (let i = 0; i < 1 + rng.int(60); i++) out[`f${i}_pattern`] = `${rng.pick(REGEX_BOMBS)}${i}`;
        return out;
      case 1:
        return { max_uses: rng.pick([1, 2, 1_000_000, 'unlimited', 0, -1]), size_limit: rng.int(2_000_000) };
      case 2:
        return { allowed_countries: [rng.pick(['DE', 'KP'])], [secretString()]: secretString() };
      default:
        return (value(1) as Record<string, unknown>) ?? {};
    }
  }

  /** A request body as raw text: broken JSON, deep nesting, binary, or generated JSON. */
  function body(make: () => unknown = value): string | undefined {
    switch (rng.int(10)) {
      case 0:
        return undefined;
      case 1:
        return '{"action": ';
      case 2:
        return '['.repeat(20000);
      case 3:
        return `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
      case 4:
        return Buffer.from(Array.from({ length: 64 }, () => rng.int(256))).toString('latin1');
      case 5:
        return `{"action":"file.read","detail":"${'a'.repeat(70_000)}"}`;
      default:
        return JSON.stringify(make());
    }
  }

  /** A generated value as text, for form fields and query strings. */
  const text = (): string => {
    const v = value();
    return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
  };

  return { value, scope, body, secretString, text };
}
