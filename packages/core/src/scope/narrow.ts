import { canonicalJson } from '../audit/canonical-json.ts';
import type { Scope } from '../types.ts';
import {
  COUNT_KEYS,
  classifyConstraint,
  isNonNegativeNumber,
  isPositiveInteger,
  normalizeExtension,
  patternList,
} from './convention.ts';

/**
 * Combines two scopes into the stricter of each constraint (see convention.ts). Used for a
 * request with its policy template, and for a grant with an approver's edit (prefer
 * `narrowGrantedScope` there). A key present on one side only is kept: adding a constraint
 * narrows. Both scopes are expected to be validated; a malformed value is kept rather than
 * dropped, so checks at use fail closed on it.
 *
 * Values are shared with the inputs, not copied; none of these functions mutates a scope.
 */
export function narrowScope(base: Scope, narrower: Scope): Scope {
  // Built as entries, not by assignment, so a key named "__proto__" stays an own property.
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(base)) {
    const value = base[key];
    entries.push([key, Object.hasOwn(narrower, key) ? combine(key, value, narrower[key]) : value]);
  }
  for (const key of Object.keys(narrower)) {
    if (!Object.hasOwn(base, key)) entries.push([key, narrower[key]]);
  }
  return Object.fromEntries(entries);
}

/**
 * Narrows a granted scope by an approver's edit. Unlike a request, a grant without count
 * constraints already means one use, so that default is made explicit first: otherwise an edit
 * adding `max_uses: 3` would be "a constraint on one side only" and widen one use to three.
 */
export function narrowGrantedScope(granted: Scope, edit: Scope): Scope {
  const hasCount = COUNT_KEYS.some((key) => Object.hasOwn(granted, key));
  return narrowScope(hasCount ? granted : { ...granted, max_uses: 1 }, edit);
}

/** An edit that would change the value of a constraint the server does not interpret. */
export interface ScopeConflict {
  key: string;
  current: unknown;
  proposed: unknown;
}

/**
 * The keys of `edit` that the server does not interpret and that `granted` already holds with a
 * different value. For such keys the server cannot tell which value is stricter, so a narrowing
 * may add one but not change it: combining would otherwise let the later value win, whichever
 * it is (docs/scopes.md). Values are compared as canonical JSON (key order does not matter).
 */
export function uninterpretedConflicts(granted: Scope, edit: Scope): ScopeConflict[] {
  const conflicts: ScopeConflict[] = [];
  for (const key of Object.keys(edit)) {
    if (classifyConstraint(key).kind !== 'unknown' || !Object.hasOwn(granted, key)) continue;
    if (canonicalJson(granted[key]) !== canonicalJson(edit[key])) {
      conflicts.push({ key, current: granted[key], proposed: edit[key] });
    }
  }
  return conflicts;
}

/**
 * How many times a token with this scope may be used; null means unlimited. The minimum of the
 * count constraints present, 1 when none is. A malformed count counts as 1 (fail closed).
 */
export function usesAllowed(scope: Scope): number | null {
  let uses: number | null = null;
  let unlimited = false;
  for (const key of COUNT_KEYS) {
    if (!Object.hasOwn(scope, key)) continue;
    const value = scope[key];
    if (key === 'max_uses' && value === 'unlimited') {
      unlimited = true;
      continue;
    }
    const count = isPositiveInteger(value) ? value : 1;
    uses = uses === null ? count : Math.min(uses, count);
  }
  if (uses !== null) return uses;
  return unlimited ? null : 1;
}

function combine(key: string, a: unknown, b: unknown): unknown {
  const kind = classifyConstraint(key);
  switch (kind.kind) {
    case 'count':
      // Only max_uses may be "unlimited" (as usesAllowed reads it); elsewhere it is malformed,
      // counts as one use, and must not be dropped in favour of the other side's larger count.
      if (key === 'max_uses' && a === 'unlimited') return b;
      if (key === 'max_uses' && b === 'unlimited') return a;
      return both(a, b, isPositiveInteger, Math.min);
    case 'max':
      return both(a, b, isNonNegativeNumber, Math.min);
    case 'min':
      return both(a, b, isNonNegativeNumber, Math.max);
    case 'pattern':
      return both(a, b, isPatterns, unitePatterns);
    case 'extensions':
      return both(a, b, Array.isArray, (x, y) => intersect(x, y, extensionKey));
    case 'allowed':
      return both(a, b, Array.isArray, (x, y) => intersect(x, y, (v) => v));
    case 'unknown':
      // The server cannot tell which value is stricter; the narrowing side decides. That is a
      // policy template (the operator's word); approvers' edits never change such a value, see
      // uninterpretedConflicts.
      return b;
  }
}

/**
 * Combines two well-formed values; otherwise keeps the malformed one, so that the constraint
 * fails closed when checked rather than silently disappearing.
 */
function both<T>(
  a: unknown,
  b: unknown,
  valid: (v: unknown) => v is T,
  pick: (x: T, y: T) => unknown,
): unknown {
  if (!valid(b)) return b;
  if (!valid(a)) return a;
  return pick(a, b);
}

function isPatterns(value: unknown): value is string | string[] {
  return patternList(value) !== null;
}

/** Every pattern of both sides must match; a single pattern stays a string. */
function unitePatterns(a: string | string[], b: string | string[]): unknown {
  const all = [...new Set([...(patternList(a) ?? []), ...(patternList(b) ?? [])])];
  return all.length === 1 ? all[0] : all;
}

/** The entries of `a` also in `b`, in `a`'s order, compared through `normalize`. */
function intersect(a: unknown[], b: unknown[], normalize: (value: unknown) => unknown): unknown[] {
  const allowed = new Set(b.map(normalize));
  return a.filter((value) => allowed.has(normalize(value)));
}

function extensionKey(value: unknown): unknown {
  return typeof value === 'string' ? normalizeExtension(value) : value;
}
