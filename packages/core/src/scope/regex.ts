import { RE2JS, RE2JSException } from 're2js';
import { estimateProgramSize } from './pattern-size.ts';

/**
 * Regular expressions from policies and scopes run on RE2 (re2js): matching is linear in the
 * input, so no pattern written by an operator or an agent can hang the server with catastrophic
 * backtracking. The price is RE2's syntax: no lookaround and no backreferences, which are
 * refused when the pattern is compiled rather than failing later.
 */
export type Regex = RE2JS;

export type RegexCompilation = { ok: true; regex: Regex } | { ok: false; message: string };

/** Compiles a pattern; a syntax error is a value (with re2js's explanation), never a throw. */
export function compileRegex(pattern: string): RegexCompilation {
  try {
    return { ok: true, regex: RE2JS.compile(pattern) };
  } catch (error) {
    if (error instanceof RE2JSException) return { ok: false, message: error.message };
    throw error;
  }
}

/**
 * Find semantics: true when the pattern matches anywhere, unless the pattern itself anchors.
 * For policy conditions, whose patterns the operator wrote: re2js's lazy DFA is fastest there.
 */
export function regexFinds(regex: Regex, input: string): boolean {
  return regex.test(input);
}

/**
 * Linear is not cheap: the cost of a match grows with the program size times the input
 * length, and a pattern's program grows with its counted repetitions. Measured on re2js, a
 * cold lazy DFA (a pattern new to the server, as an agent's can always be) costs up to ~130 ns
 * per instruction and input character, the NFA and bit-state engines behind a `find` up to
 * ~40 ns, and compiling ~1 µs per instruction. So a scope's patterns are bounded in number,
 * length and program size at request time, and the detail a pattern checks at use is bounded
 * by what the scope's programs allow (SCOPE_REGEX_LIMITS.workPerUse): no use spends more than a
 * few milliseconds matching.
 */
export const SCOPE_REGEX_LIMITS = {
  /** Patterns in one scope, over all `*_pattern` keys. */
  maxPatterns: 16,
  maxPatternLength: 256,
  /** Compiled program size (RE2 instructions) of one pattern. */
  maxProgramSize: 500,
  /** Compiled program size of all the patterns of one scope together. */
  maxScopeProgramSize: 1000,
  /** Program size × characters matched, summed over a use's pattern checks (~4 ms at worst). */
  workPerUse: 100_000,
  /** Characters of a detail checked against patterns, however small the programs. */
  maxDetailLength: 4096,
} as const;

export type ScopePattern =
  | { ok: true; regex: Regex; programSize: number }
  | { ok: false; message: string; tooComplex?: boolean };

/**
 * Compiles a scope pattern within SCOPE_REGEX_LIMITS. The program size is estimated from the
 * text first, so a pattern that would expand to a huge program is refused before compiling it.
 */
export function compileScopePattern(pattern: string): ScopePattern {
  const limits = SCOPE_REGEX_LIMITS;
  if (pattern.length > limits.maxPatternLength) {
    return { ok: false, message: `pattern longer than ${limits.maxPatternLength} characters` };
  }
  // The estimate is an upper bound with slack for its generosity; the compiled size decides.
  if (estimateProgramSize(pattern) > 2 * limits.maxProgramSize) return tooComplex(pattern);
  const compiled = compileRegex(pattern);
  if (!compiled.ok) return { ok: false, message: `invalid regular expression: ${compiled.message}` };
  const programSize = compiled.regex.programSize();
  if (programSize > limits.maxProgramSize) return tooComplex(pattern, programSize);
  return { ok: true, regex: compiled.regex, programSize };
}

function tooComplex(pattern: string, size?: number): ScopePattern {
  const measured = size === undefined ? '' : ` (${size} instructions)`;
  return {
    ok: false,
    tooComplex: true,
    message: `pattern too complex${measured}: its program may have at most ${SCOPE_REGEX_LIMITS.maxProgramSize} instructions; large counted repetitions such as {20} multiply a pattern's size (${pattern.length} characters)`,
  };
}

/**
 * Find semantics for scope patterns, through re2js's matcher: it runs the one-pass, bit-state
 * or NFA engine, whose cost per character is bounded by the program size, instead of building
 * lazy-DFA states, which for a pattern the server has not seen cost several times more.
 */
export function scopePatternFinds(regex: Regex, input: string): boolean {
  return regex.matcher(input).find();
}

/**
 * Scopes arrive from storage as JSON on every use, so their patterns would be recompiled each
 * time. A small cache avoids that; its bound keeps agents that send many distinct patterns from
 * growing it without limit. Map iteration order is insertion order, so re-inserting on a hit
 * makes the first key the least recently used.
 */
const CACHE_LIMIT = 512;
const cache = new Map<string, ScopePattern>();

export function cachedScopePattern(pattern: string): ScopePattern {
  // Refused before the cache, so over-long keys never occupy it.
  if (pattern.length > SCOPE_REGEX_LIMITS.maxPatternLength) return compileScopePattern(pattern);
  const hit = cache.get(pattern);
  if (hit) {
    cache.delete(pattern);
    cache.set(pattern, hit);
    return hit;
  }
  const compiled = compileScopePattern(pattern);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(pattern, compiled);
  return compiled;
}

/** For tests: how many patterns the cache holds. */
export function regexCacheSize(): number {
  return cache.size;
}
