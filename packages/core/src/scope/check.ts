import type { JsonObject, Scope, ScopeEnforcement } from '../types.ts';
import {
  type ConstraintKind,
  classifyConstraint,
  extensionOf,
  isNonNegativeNumber,
  normalizeExtension,
  patternList,
} from './convention.ts';
import { cachedScopePattern, SCOPE_REGEX_LIMITS, scopePatternFinds } from './regex.ts';

export type ScopeUseCheck =
  | {
      ok: true;
      /** Interpreted constraints whose detail was absent from actionDetails: the caller must check them. */
      unchecked: string[];
    }
  | {
      ok: false;
      constraint: string;
      message: string;
      /**
       * `violation`: the details break the constraint. `too_long`: a detail is longer than the
       * scope's patterns may be matched against (SCOPE_REGEX_LIMITS), so it was not checked.
       */
      reason: 'violation' | 'too_long';
      /** The detail at fault, e.g. `actionDetails.path`, when it is known. */
      field?: string;
    };

type Violation = string | null;
/** A detail is absent when the caller did not pass it (or passed null). */
const ABSENT = Symbol('absent');

/**
 * Checks an action's details against a granted scope before the token is spent (SPEC §3).
 * Stops at the first violation. A constraint whose detail is absent is, under `lenient`
 * enforcement, not a violation but listed as unchecked, so `use` without details still works
 * and says what it did not check; under `strict` it is a violation. Keys the server does not
 * interpret are never checked here, in either mode: `verify` reports them as unenforced.
 */
export function checkScopeAtUse(
  scope: Scope,
  actionDetails: JsonObject | undefined,
  enforcement: ScopeEnforcement = 'lenient',
): ScopeUseCheck {
  const details = actionDetails ?? {};
  const tooLong = checkPatternDetailLengths(scope, details);
  if (tooLong) return tooLong;
  const unchecked: string[] = [];
  for (const key of Object.keys(scope).sort()) {
    const result = checkConstraint(key, scope[key], details);
    if (result === ABSENT && enforcement === 'strict') {
      const message = `${describeRequired(classifyConstraint(key))} is required by ${key} (strict enforcement)`;
      return { ok: false, constraint: key, message, reason: 'violation' };
    }
    if (result === ABSENT) unchecked.push(key);
    else if (result !== null) return { ok: false, constraint: key, message: result, reason: 'violation' };
  }
  return { ok: true, unchecked };
}

/** The detail (or the choice of details) a constraint reads, for a strict refusal. */
function describeRequired(kind: ConstraintKind): string {
  const names = (fields: string[]) => fields.map((f) => `actionDetails.${f}`).join(' or ');
  switch (kind.kind) {
    case 'max':
    case 'min':
    case 'pattern':
      return names([kind.field]);
    case 'extensions':
      return names(['path', 'extension']);
    case 'allowed':
      return names(kind.fields);
    default:
      return 'a detail';
  }
}

/**
 * The longest string detail this scope's patterns may be matched against: the work budget of
 * one use shared by the program size of all its patterns, so that the matching of one use
 * stays within a few milliseconds however the patterns and details are chosen.
 */
export function maxPatternDetailLength(scope: Scope): number {
  let programSize = 0;
  for (const [key, value] of Object.entries(scope)) {
    if (classifyConstraint(key).kind !== 'pattern') continue;
    for (const pattern of patternList(value) ?? []) {
      const compiled = cachedScopePattern(pattern);
      if (compiled.ok) programSize += compiled.programSize;
    }
  }
  const limits = SCOPE_REGEX_LIMITS;
  if (programSize === 0) return limits.maxDetailLength;
  return Math.min(limits.maxDetailLength, Math.floor(limits.workPerUse / programSize));
}

function checkPatternDetailLengths(scope: Scope, details: JsonObject): ScopeUseCheck | null {
  let limit: number | null = null;
  for (const key of Object.keys(scope).sort()) {
    const kind = classifyConstraint(key);
    if (kind.kind !== 'pattern') continue;
    const actual = detail(details, kind.field);
    if (typeof actual !== 'string') continue;
    limit ??= maxPatternDetailLength(scope);
    if (actual.length > limit) {
      return {
        ok: false,
        constraint: key,
        reason: 'too_long',
        field: `actionDetails.${kind.field}`,
        message: `actionDetails.${kind.field} is ${actual.length} characters long; the patterns of this scope are matched against at most ${limit}`,
      };
    }
  }
  return null;
}

/** Keys the server does not interpret, sorted: `verify` reports them as unenforced. */
export function unenforcedConstraints(scope: Scope): string[] {
  return Object.keys(scope)
    .filter((key) => classifyConstraint(key).kind === 'unknown')
    .sort();
}

function checkConstraint(key: string, limit: unknown, details: JsonObject): Violation | typeof ABSENT {
  const kind = classifyConstraint(key);
  switch (kind.kind) {
    case 'count':
    case 'unknown':
      return null;
    case 'max':
    case 'min': {
      const actual = detail(details, kind.field);
      if (actual === ABSENT) return ABSENT;
      return checkBound(key, kind.kind, kind.field, limit, actual);
    }
    case 'pattern': {
      const actual = detail(details, kind.field);
      if (actual === ABSENT) return ABSENT;
      return checkPattern(key, kind.field, limit, actual);
    }
    case 'extensions':
      return checkExtensions(key, limit, details);
    case 'allowed':
      return checkAllowed(key, kind.fields, limit, details);
  }
}

function checkBound(
  key: string,
  bound: 'max' | 'min',
  field: string,
  limit: unknown,
  actual: unknown,
): Violation {
  if (!isNonNegativeNumber(limit)) return `${key} has an invalid value ${show(limit)}`;
  if (typeof actual !== 'number' || Number.isNaN(actual)) {
    return `actionDetails.${field} ${show(actual)} is not a number (${key} ${limit})`;
  }
  if (bound === 'max' && actual > limit) return `actionDetails.${field} ${actual} exceeds ${key} ${limit}`;
  if (bound === 'min' && actual < limit) return `actionDetails.${field} ${actual} is below ${key} ${limit}`;
  return null;
}

function checkPattern(key: string, field: string, value: unknown, actual: unknown): Violation {
  const patterns = patternList(value);
  if (!patterns) return `${key} has an invalid value ${show(value)}`;
  if (typeof actual !== 'string') return `actionDetails.${field} ${show(actual)} is not a string (${key})`;
  for (const pattern of patterns) {
    const compiled = cachedScopePattern(pattern);
    if (!compiled.ok) return `${key} ${show(pattern)} is not usable: ${compiled.message}`;
    if (!scopePatternFinds(compiled.regex, actual)) {
      return `actionDetails.${field} ${show(actual)} does not match ${key} ${show(pattern)}`;
    }
  }
  return null;
}

/** Both `path` and `extension` are checked when both are given, so one cannot mask the other. */
function checkExtensions(key: string, value: unknown, details: JsonObject): Violation | typeof ABSENT {
  if (!Array.isArray(value)) return `${key} has an invalid value ${show(value)}`;
  const allowed = new Set(value.map((e) => (typeof e === 'string' ? normalizeExtension(e) : e)));
  const path = detail(details, 'path');
  const extension = detail(details, 'extension');
  if (path === ABSENT && extension === ABSENT) return ABSENT;
  if (path !== ABSENT) {
    if (typeof path !== 'string') return `actionDetails.path ${show(path)} is not a string (${key})`;
    if (!allowed.has(extensionOf(path)))
      return `actionDetails.path ${show(path)} is not one of ${key} ${show(value)}`;
  }
  if (extension !== ABSENT) {
    if (typeof extension !== 'string')
      return `actionDetails.extension ${show(extension)} is not a string (${key})`;
    if (!allowed.has(normalizeExtension(extension))) {
      return `actionDetails.extension ${show(extension)} is not one of ${key} ${show(value)}`;
    }
  }
  return null;
}

/** Every detail name present is checked (singulars and plural), so one cannot mask another. */
function checkAllowed(
  key: string,
  fields: string[],
  value: unknown,
  details: JsonObject,
): Violation | typeof ABSENT {
  if (!Array.isArray(value)) return `${key} has an invalid value ${show(value)}`;
  // A set, so a long list checked against a long detail list stays linear work.
  const allowed = new Set<unknown>(value);
  let seen = false;
  for (const field of fields) {
    const actual = detail(details, field);
    if (actual === ABSENT) continue;
    seen = true;
    const items = Array.isArray(actual) ? actual : [actual];
    const outside = items.findIndex((item) => !allowed.has(item));
    if (outside !== -1) {
      return `actionDetails.${field} ${show(items[outside])} is not one of ${key} ${show(value)}`;
    }
  }
  return seen ? null : ABSENT;
}

function detail(details: JsonObject, field: string): unknown {
  if (!Object.hasOwn(details, field)) return ABSENT;
  const value = details[field];
  return value === null || value === undefined ? ABSENT : value;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
