import { RE2JS, RE2JSException } from 're2js';

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

/** Find semantics: true when the pattern matches anywhere, unless the pattern itself anchors. */
export function regexFinds(regex: Regex, input: string): boolean {
  return regex.test(input);
}

/**
 * Scopes arrive from storage as JSON on every use, so their patterns would be recompiled each
 * time. A small cache avoids that; its bound keeps agents that send many distinct patterns from
 * growing it without limit. Map iteration order is insertion order, so re-inserting on a hit
 * makes the first key the least recently used.
 */
const CACHE_LIMIT = 512;
const cache = new Map<string, RegexCompilation>();

export function cachedRegex(pattern: string): RegexCompilation {
  const hit = cache.get(pattern);
  if (hit) {
    cache.delete(pattern);
    cache.set(pattern, hit);
    return hit;
  }
  const compiled = compileRegex(pattern);
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
