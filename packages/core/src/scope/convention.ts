/**
 * # Scope convention
 *
 * A scope is a JSON object of constraints. The server interprets a constraint by its key name;
 * `actionDetails` is the object the agent passes when it uses a token.
 *
 * | Key                                   | Value                         | Enforced at use                                   |
 * |---------------------------------------|-------------------------------|---------------------------------------------------|
 * | `max_uses`                            | positive integer, or `"unlimited"` (policy `scopeTemplate` only) | number of uses of the token |
 * | `max_emails`, `max_messages`, `max_calls`, `max_requests` | positive integer | number of uses of the token            |
 * | `max_<field>` (any other), `<field>_limit` | number ≥ 0               | `actionDetails.<field>` is a number ≤ the value   |
 * | `min_<field>`                         | number ≥ 0                    | `actionDetails.<field>` is a number ≥ the value   |
 * | `<field>_pattern`                     | regex, or list of regexes     | `actionDetails.<field>` is a string matching every pattern (RE2 syntax, unanchored unless the pattern anchors) |
 * | `allowed_extensions`                  | list of strings (`".txt"`)    | the extension of `actionDetails.path` (lowercased, from the last dot of the file name) and `actionDetails.extension`, whichever are present, are listed (case-insensitive) |
 * | `allowed_<plural>`                    | list of strings/numbers       | `actionDetails.<singular>` and `actionDetails.<plural>`, whichever are present, are listed (singulars by the rules of plural.ts: `allowed_countries` checks `country` and `countries`); a list detail must have every element listed |
 * | anything else                         | any JSON                      | not interpreted: reported by `verify` as `unenforced`, the protected operation checks it |
 *
 * Keys are matched in this order: count keys, `allowed_extensions`, `max_`, `min_`, `allowed_`,
 * `_pattern`, `_limit`. So `max_size_limit` limits `actionDetails.size_limit`.
 *
 * - Uses: the token allows the minimum of all count constraints present, 1 when none is present.
 *   It is unlimited only when `max_uses` is `"unlimited"` and no other count constraint is present.
 * - A constraint whose detail is absent from `actionDetails` is not a violation: it is reported as
 *   unchecked, so a caller that passes no details still works and learns what it must check.
 * - A present detail of the wrong type (a string where a number is expected) is a violation.
 * - Combining two scopes (request with policy template, grant with an approver's edit) keeps the
 *   stricter of each constraint: maxima and counts take the smaller value, minima the larger,
 *   patterns accumulate (all must match), allowed lists intersect, and a constraint present on one
 *   side only is kept. For uninterpreted keys the server cannot tell which value is stricter: the
 *   narrowing side's value wins, and the key stays reported as unenforced.
 */

import { allowedDetailNames } from './plural.ts';

/** Count constraints: each caps how many times the token may be used. */
export const COUNT_KEYS: readonly string[] = [
  'max_uses',
  'max_emails',
  'max_messages',
  'max_calls',
  'max_requests',
];

export type ConstraintKind =
  | { kind: 'count' }
  | { kind: 'max'; field: string }
  | { kind: 'min'; field: string }
  | { kind: 'pattern'; field: string }
  | { kind: 'extensions' }
  | { kind: 'allowed'; fields: string[] }
  | { kind: 'unknown' };

const COUNT = { kind: 'count' } as const;
const EXTENSIONS = { kind: 'extensions' } as const;
const UNKNOWN = { kind: 'unknown' } as const;

/** How the server interprets a scope key (see the table above). */
export function classifyConstraint(key: string): ConstraintKind {
  if (COUNT_KEYS.includes(key)) return COUNT;
  if (key === 'allowed_extensions') return EXTENSIONS;
  const max = suffixAfter(key, 'max_');
  if (max) return { kind: 'max', field: max };
  const min = suffixAfter(key, 'min_');
  if (min) return { kind: 'min', field: min };
  const allowed = suffixAfter(key, 'allowed_');
  if (allowed) return { kind: 'allowed', fields: allowedDetailNames(allowed) };
  const pattern = prefixBefore(key, '_pattern');
  if (pattern) return { kind: 'pattern', field: pattern };
  const limit = prefixBefore(key, '_limit');
  if (limit) return { kind: 'max', field: limit };
  return UNKNOWN;
}

function suffixAfter(key: string, prefix: string): string | null {
  return key.startsWith(prefix) && key.length > prefix.length ? key.slice(prefix.length) : null;
}

function prefixBefore(key: string, suffix: string): string | null {
  return key.endsWith(suffix) && key.length > suffix.length ? key.slice(0, -suffix.length) : null;
}

/** A pattern constraint's patterns, or null when the value is neither a string nor a list of them. */
export function patternList(value: unknown): string[] | null {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((p) => typeof p === 'string')) return value;
  return null;
}

/** Normalises an extension for comparison: lowercase, with one leading dot. */
export function normalizeExtension(extension: string): string {
  const lower = extension.toLowerCase();
  return lower.startsWith('.') ? lower : `.${lower}`;
}

/** The extension of a path's file name, from its last dot, lowercased; '' when it has none. */
export function extensionOf(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  return dot === -1 ? '' : name.slice(dot).toLowerCase();
}

export function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}
