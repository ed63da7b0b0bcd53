import type { Scope } from '../types.ts';
import { classifyConstraint, isNonNegativeNumber, isPositiveInteger, patternList } from './convention.ts';
import { cachedScopePattern, SCOPE_REGEX_LIMITS } from './regex.ts';

/** Who wrote the scope: only a policy template may grant unlimited uses. */
export type ScopeOrigin = 'request' | 'template' | 'approver';

export interface ScopeError {
  /** Where in the scope, e.g. `subject_pattern[1]` or `meta.tags`. */
  path: string;
  message: string;
}

export type ScopeValidation = { ok: true; scope: Scope } | { ok: false; errors: ScopeError[] };

/** Sanity bounds: scopes are stored and checked on every use, so they stay small. */
export const SCOPE_LIMITS = {
  /** Keys counted at every depth. */
  maxKeys: 100,
  /** The scope object itself is depth 1. */
  maxDepth: 5,
  maxArrayLength: 1000,
} as const;

/**
 * Checks a scope's shape and the values of the constraints the server interprets (see
 * convention.ts). Unknown keys are allowed: they are kept and reported as unenforced.
 */
export function validateScope(scope: unknown, origin: ScopeOrigin): ScopeValidation {
  if (!isPlainObject(scope))
    return { ok: false, errors: [{ path: '', message: 'scope must be a JSON object' }] };
  const errors: ScopeError[] = [];
  checkShape(scope, '', 1, { keys: 0 }, errors);
  if (errors.length === 0) {
    const budget = { patterns: 0, programSize: 0, refused: false };
    for (const [key, value] of Object.entries(scope)) checkConstraint(key, value, origin, budget, errors);
  }
  return errors.length === 0 ? { ok: true, scope } : { ok: false, errors };
}

function checkShape(
  value: unknown,
  path: string,
  depth: number,
  seen: { keys: number },
  errors: ScopeError[],
): void {
  if (errors.length > 0) return;
  if (depth > SCOPE_LIMITS.maxDepth) {
    errors.push({ path, message: `nested deeper than ${SCOPE_LIMITS.maxDepth} levels` });
  } else if (Array.isArray(value)) {
    if (value.length > SCOPE_LIMITS.maxArrayLength) {
      errors.push({ path, message: `list longer than ${SCOPE_LIMITS.maxArrayLength} items` });
    } else {
      for (const [i, item] of value.entries()) checkShape(item, `${path}[${i}]`, depth + 1, seen, errors);
    }
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      seen.keys += 1;
      if (seen.keys > SCOPE_LIMITS.maxKeys)
        errors.push({ path: at, message: `more than ${SCOPE_LIMITS.maxKeys} keys` });
      else if (key === '__proto__') errors.push({ path: at, message: 'reserved key name' });
      else checkShape(item, at, depth + 1, seen, errors);
    }
  } else if (!isJsonScalar(value)) {
    errors.push({ path, message: 'not a JSON value' });
  }
}

/** What the scope's patterns have used so far of SCOPE_REGEX_LIMITS. */
interface PatternBudget {
  patterns: number;
  programSize: number;
  /** Set at the first pattern error: the scope is refused, nothing more is compiled. */
  refused: boolean;
}

function checkConstraint(
  key: string,
  value: unknown,
  origin: ScopeOrigin,
  budget: PatternBudget,
  errors: ScopeError[],
): void {
  const kind = classifyConstraint(key);
  const fail = (message: string, path = key) => errors.push({ path, message });
  switch (kind.kind) {
    case 'count':
      if (key === 'max_uses' && value === 'unlimited') {
        if (origin !== 'template') fail('"unlimited" may only be granted by a policy scopeTemplate');
      } else if (!isPositiveInteger(value)) {
        fail(key === 'max_uses' ? 'must be a positive integer or "unlimited"' : 'must be a positive integer');
      }
      return;
    case 'max':
    case 'min':
      if (!isNonNegativeNumber(value)) fail('must be a finite number ≥ 0');
      return;
    case 'pattern':
      checkPatterns(key, value, budget, errors);
      return;
    case 'extensions':
      if (!Array.isArray(value) || !value.every((e) => typeof e === 'string' && e !== '' && e !== '.')) {
        fail('must be a list of extensions such as ".txt"');
      }
      return;
    case 'allowed':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' || typeof v === 'number')) {
        fail('must be a list of strings or numbers');
      }
      return;
    case 'unknown':
      return;
  }
}

/**
 * Patterns are bounded per scope (SCOPE_REGEX_LIMITS): how many, how long, and how large their
 * compiled programs are, alone and together. Compiling stops once the scope is over budget, so
 * a hostile scope costs at most one pattern's compile beyond it.
 */
function checkPatterns(key: string, value: unknown, budget: PatternBudget, errors: ScopeError[]): void {
  const limits = SCOPE_REGEX_LIMITS;
  const patterns = patternList(value);
  if (!patterns) {
    errors.push({ path: key, message: 'must be a regular expression or a non-empty list of them' });
    return;
  }
  for (const [i, pattern] of patterns.entries()) {
    const path = typeof value === 'string' ? key : `${key}[${i}]`;
    budget.patterns += 1;
    if (budget.patterns > limits.maxPatterns) {
      errors.push({ path, message: `more than ${limits.maxPatterns} patterns in one scope` });
      budget.refused = true;
      return;
    }
    // A refused scope compiles nothing more: each compile costs up to a millisecond or two.
    if (budget.refused) return;
    // Through the cache: a valid scope's patterns are compiled again at every use.
    const compiled = cachedScopePattern(pattern);
    if (!compiled.ok) {
      errors.push({ path, message: compiled.message });
      budget.refused = true;
      continue;
    }
    budget.programSize += compiled.programSize;
    if (budget.programSize > limits.maxScopeProgramSize) {
      budget.refused = true;
      errors.push({
        path,
        message: `the patterns of one scope may have at most ${limits.maxScopeProgramSize} instructions together (${budget.programSize} so far)`,
      });
    }
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isJsonScalar(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}
