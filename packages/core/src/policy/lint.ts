import { classifyConstraint } from '../scope/convention.ts';
import { isPlainObject } from '../scope/validate.ts';
import type { PolicyRule, PolicyWarning } from './types.ts';

/**
 * Warnings about valid policies that are probably not what their author meant, for `policy
 * check` and the server's log. They never stop a load. Two kinds, both heuristics:
 *
 * - UNANCHORED_MATCHES: a `matches` regex that does not start with `^` (or `\A`) and end with
 *   an unescaped `$` (or `\z`), has a top-level `|` (so `^a|b$` anchors only one side), or
 *   turns on multi-line mode (`(?m)`, where `^` and `$` match at any line). A regex finds a
 *   match anywhere in the value unless it anchors, so `@mycompany\.com$` also holds for
 *   `attacker@evil.com, x@mycompany.com`. Reported only where matching too much makes the rule
 *   more permissive: in auto_approve and require_approval rules outside `not`, and in deny rules
 *   under `not`. A deny rule that searches a value for a word is fine.
 * - UNBOUND_CONTEXT: an auto_approve rule that tests `context.<field>` (or `resource`), which the
 *   agent writes as it likes, while its scopeTemplate holds no constraint checked at use on that
 *   field: nothing stops the agent from stating one value to get the token and doing another
 *   with it. A `context.<field>` is bound when the template has `max_<field>`, `min_<field>`,
 *   `<field>_limit`, `<field>_pattern` or an `allowed_<field>s` list (`allowed_extensions` for
 *   `path` and `extension`); `resource` is bound when the template has any constraint checked at
 *   use (a limit, pattern or allowed list — counts and uninterpreted keys are not). `scope.*`
 *   fields need no binding: the requested scope is itself narrowed into the grant.
 */
export function lintRule(raw: unknown, rule: PolicyRule, line: number | null): PolicyWarning[] {
  if (!isPlainObject(raw)) return [];
  const warnings: PolicyWarning[] = [];
  const warn = (code: PolicyWarning['code'], message: string) =>
    warnings.push({ code, rule: rule.name, line, message });
  const tested = new Set<string>();
  const patterns = new Set<string>();
  walk(raw.conditions, false, (path, operators, negated) => {
    tested.add(path);
    const pattern = operators.matches;
    const permissive = (rule.decision !== 'deny') !== negated;
    if (typeof pattern === 'string' && permissive && !isAnchored(pattern)) patterns.add(pattern);
  });
  for (const pattern of patterns) {
    warn(
      'UNANCHORED_MATCHES',
      `matches ${JSON.stringify(pattern)} is not anchored: it holds for any value that contains a match ` +
        '(anchor it as ^…$, and avoid .* inside, or use equals, startsWith or endsWith)',
    );
  }
  if (rule.decision === 'auto_approve') {
    for (const field of unboundFields(tested, rule.scopeTemplate ?? {})) {
      warn(
        'UNBOUND_CONTEXT',
        field === 'resource'
          ? 'auto-approves on the agent-supplied resource, but its scopeTemplate has no constraint ' +
              'checked at use, so the token can be spent on anything'
          : `auto-approves on agent-supplied context.${field}, but its scopeTemplate does not bind ` +
              `actionDetails.${field} (e.g. ${field}_pattern: "^…$" or allowed_${field}s: […]), ` +
              `so the token can be spent with any ${field}`,
      );
    }
  }
  return warnings;
}

type Visitor = (path: string, operators: Record<string, unknown>, negated: boolean) => void;

/** Visits every field condition of a (valid) condition map, with whether it sits under `not`s. */
function walk(map: unknown, negated: boolean, visit: Visitor): void {
  if (!isPlainObject(map)) return;
  for (const [key, value] of Object.entries(map)) {
    if ((key === 'any' || key === 'all') && Array.isArray(value)) {
      for (const child of value) walk(child, negated, visit);
    } else if (key === 'not') {
      walk(value, !negated, visit);
    } else if (isPlainObject(value)) {
      visit(key, value, negated);
    }
  }
}

/** The agent-supplied fields a rule tests (`context.<first segment>`, `resource`) that nothing binds. */
function unboundFields(tested: ReadonlySet<string>, template: Record<string, unknown>): string[] {
  const checkedAtUse = new Set<string>();
  for (const key of Object.keys(template)) {
    const kind = classifyConstraint(key);
    if (kind.kind === 'max' || kind.kind === 'min' || kind.kind === 'pattern') checkedAtUse.add(kind.field);
    if (kind.kind === 'allowed') for (const field of kind.fields) checkedAtUse.add(field);
    if (kind.kind === 'extensions') for (const field of ['path', 'extension']) checkedAtUse.add(field);
  }
  const unbound = new Set<string>();
  for (const path of tested) {
    if (path === 'resource' && checkedAtUse.size === 0) unbound.add('resource');
    const field = path.startsWith('context.') ? path.split('.')[1] : undefined;
    if (field !== undefined && !checkedAtUse.has(field)) unbound.add(field);
  }
  return [...unbound];
}

/** Leading inline flags, e.g. `(?i)` or `(?is)`. */
const LEADING_FLAGS = /^\(\?([a-zA-Z]+)\)/;

/** Whether a regex (RE2 syntax) must match the whole value; see UNANCHORED_MATCHES above. */
export function isAnchored(pattern: string): boolean {
  let body = pattern;
  for (let flags = LEADING_FLAGS.exec(body); flags; flags = LEADING_FLAGS.exec(body)) {
    if ((flags[1] as string).includes('m')) return false;
    body = body.slice(flags[0].length);
  }
  const starts = body.startsWith('^') || body.startsWith('\\A');
  const ends = endsWithUnescaped(body, '$') || endsWithUnescaped(body, '\\z');
  return starts && ends && !hasTopLevelAlternation(body);
}

/** `token` ends the pattern and is not itself escaped (an even run of backslashes before it). */
function endsWithUnescaped(body: string, token: string): boolean {
  if (!body.endsWith(token)) return false;
  let slashes = 0;
  for (let i = body.length - token.length - 1; i >= 0 && body[i] === '\\'; i--) slashes++;
  return slashes % 2 === 0;
}

/** A `|` outside every group and character class. */
function hasTopLevelAlternation(body: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      // A ']' first in the class (after an optional '^') is a literal.
      if (body[i + 1] === '^') i++;
      if (body[i + 1] === ']') i++;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
    } else if (c === '|' && depth === 0) {
      return true;
    }
  }
  return false;
}
