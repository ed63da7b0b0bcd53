import { isPlainObject } from '../scope/validate.ts';
import { RuleError, show } from './errors.ts';
import { type CompiledOperator, compileOperator, isOperatorName, OPERATOR_NAMES } from './operators.ts';
import { type Accessor, compilePath, pathCost } from './paths.ts';
import type { Truth } from './truth.ts';
import type { PolicyInput } from './types.ts';

/**
 * A condition map compiled at load into closures, evaluated in three-valued (Kleene) logic (see
 * truth.ts): a test of a value the operator cannot compare is UNKNOWN; `all` is FALSE if any part
 * is FALSE, else UNKNOWN if any part is; `any` is TRUE if any part is TRUE, else UNKNOWN if any
 * part is; `not` keeps UNKNOWN. `exists` and absent fields stay two-valued (SPEC §4).
 *
 * `test` is the hot path: no allocation, no strings, short-circuiting, cheapest parts first.
 * `explain` walks everything in file order and says why in words; it must agree with `test`
 * (the tests check this on random inputs).
 */
export interface Condition {
  test(input: PolicyInput): Truth;
  /**
   * Returns the truth and appends the reasons for it to `out`: why it failed (FALSE), or which
   * values could not be compared (UNKNOWN); nothing when it held.
   */
  explain(input: PolicyInput, out: string[]): Truth;
  /** Rough relative price of `test`, to try cheap parts first. */
  cost: number;
}

const ALWAYS: Condition = { test: () => 2, explain: () => 2, cost: 0 };

/**
 * Conditions have no side effects and Kleene AND/OR are commutative, so `test` may try them in
 * any order. Trying the cheap ones first (an `action` equality or prefix before a `scope` lookup,
 * and anything before a regex) lets most rules fail without running their regex: re2js is
 * linear-time but costs about a microsecond per call.
 */
function cheapestFirst<T extends { cost: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.cost - b.cost);
}

function totalCost(items: readonly { cost: number }[]): number {
  return items.reduce((sum, item) => sum + item.cost, 1);
}

/**
 * Compiles a condition map (`conditions`, or a map inside any/all/not). `where` locates nested
 * maps in error messages (`any[1]`), '' at the top.
 */
export function compileConditions(map: unknown, where: string): Condition {
  if (!isPlainObject(map)) throw new RuleError(`${where || 'conditions'} must be a map, got ${show(map)}`);
  const parts = Object.entries(map).map(([key, value]) => compileEntry(key, value, where));
  if (parts.length === 0) return ALWAYS;
  if (parts.length === 1) return parts[0] as Condition;
  return allOf(parts, (_, reason) => reason);
}

function compileEntry(key: string, value: unknown, where: string): Condition {
  const at = (suffix: string) => (where === '' ? suffix : `${where}.${suffix}`);
  if (key === 'any' || key === 'all') {
    if (!Array.isArray(value) || value.length === 0) {
      throw new RuleError(`${at(key)} must be a non-empty list of condition maps, got ${show(value)}`);
    }
    const children = value.map((child, i) => compileConditions(child, at(`${key}[${i}]`)));
    return key === 'any' ? anyOf(children) : allOf(children, (i, reason) => `all[${i}]: ${reason}`);
  }
  if (key === 'not') return notOf(compileConditions(value, at('not')), value);
  return compileField(key, value, where);
}

function compileField(path: string, operators: unknown, where: string): Condition {
  const accessor = compilePath(path, where);
  const on = `on "${path}"${where === '' ? '' : ` in ${where}`}`;
  if (!isPlainObject(operators) || Object.keys(operators).length === 0) {
    throw new RuleError(`expected operators ${on}, like { equals: "…" }, got ${show(operators)}`);
  }
  const compiled = Object.entries(operators).map(([name, operand]) => {
    if (!isOperatorName(name)) {
      throw new RuleError(`unknown operator "${name}" ${on} (known: ${OPERATOR_NAMES.join(', ')})`);
    }
    const op = compileOperator(name, operand);
    if (typeof op === 'string') throw new RuleError(`invalid value for ${name} ${on}: ${op}`);
    return op;
  });
  return fieldCondition(path, accessor, compiled, pathCost(path));
}

/** Truth literals below: 0 FALSE, 1 UNKNOWN, 2 TRUE (truth.ts). */
function fieldCondition(path: string, get: Accessor, ops: CompiledOperator[], readCost: number): Condition {
  // Whether the whole field condition holds for an absent field is fixed at load.
  const absent: Truth = ops.every((op) => op.absent) ? 2 : 0;
  const ordered = cheapestFirst(ops);
  const first = ordered[0] as CompiledOperator;
  const test =
    ordered.length === 1
      ? (input: PolicyInput): Truth => {
          const actual = get(input);
          return actual === undefined ? absent : first.present(actual);
        }
      : (input: PolicyInput): Truth => {
          const actual = get(input);
          if (actual === undefined) return absent;
          let result: Truth = 2;
          for (let i = 0; i < ordered.length; i++) {
            const t = (ordered[i] as CompiledOperator).present(actual);
            if (t === 0) return 0;
            if (t < result) result = t;
          }
          return result;
        };
  const explain = (input: PolicyInput, out: string[]): Truth => {
    const actual = get(input);
    const failed: string[] = [];
    const unknown: string[] = [];
    for (const op of ops) {
      const t: Truth = actual === undefined ? (op.absent ? 2 : 0) : op.present(actual);
      if (t === 2) continue;
      const why = actual === undefined ? `absent (${op.name} ${show(op.operand)})` : op.describe(actual);
      (t === 0 ? failed : unknown).push(`${path}: ${why}`);
    }
    return report(out, failed, unknown);
  };
  return { test, explain, cost: totalCost(ops) + readCost };
}

/** AND of parts: FALSE with the failures, else UNKNOWN with the unknowns, else TRUE. */
function report(out: string[], failed: string[], unknown: string[]): Truth {
  if (failed.length > 0) {
    out.push(...failed);
    return 0;
  }
  if (unknown.length > 0) {
    out.push(...unknown);
    return 1;
  }
  return 2;
}

function allOf(children: Condition[], label: (index: number, reason: string) => string): Condition {
  const ordered = cheapestFirst(children);
  return {
    test: (input) => {
      let result: Truth = 2;
      for (let i = 0; i < ordered.length; i++) {
        const t = (ordered[i] as Condition).test(input);
        if (t === 0) return 0;
        if (t < result) result = t;
      }
      return result;
    },
    explain: (input, out) => {
      const failed: string[] = [];
      const unknown: string[] = [];
      children.forEach((child, i) => {
        const reasons: string[] = [];
        const t = child.explain(input, reasons);
        if (t === 0) for (const reason of reasons) failed.push(label(i, reason));
        if (t === 1) unknown.push(...reasons);
      });
      return report(out, failed, unknown);
    },
    cost: totalCost(children),
  };
}

function anyOf(children: Condition[]): Condition {
  const ordered = cheapestFirst(children);
  return {
    test: (input) => {
      let result: Truth = 0;
      for (let i = 0; i < ordered.length; i++) {
        const t = (ordered[i] as Condition).test(input);
        if (t === 2) return 2;
        if (t > result) result = t;
      }
      return result;
    },
    explain: (input, out) => {
      const why: string[] = [];
      const unknown: string[] = [];
      for (const [i, child] of children.entries()) {
        const reasons: string[] = [];
        const t = child.explain(input, reasons);
        if (t === 2) return 2;
        if (t === 1) unknown.push(...reasons);
        else why.push(`#${i + 1} ${reasons.join(', ')}`);
      }
      if (unknown.length > 0) {
        out.push(...unknown);
        return 1;
      }
      const n = children.length;
      out.push(`any: none of ${n} alternative${n === 1 ? '' : 's'} held (${why.join('; ')})`);
      return 0;
    },
    cost: totalCost(children),
  };
}

function notOf(child: Condition, source: unknown): Condition {
  return {
    test: (input) => (2 - child.test(input)) as Truth,
    explain: (input, out) => {
      const reasons: string[] = [];
      const t = child.explain(input, reasons);
      if (t === 1) out.push(...reasons);
      if (t === 2) out.push(`not: the negated condition held ${show(source)}`);
      return (2 - t) as Truth;
    },
    cost: child.cost + 1,
  };
}
