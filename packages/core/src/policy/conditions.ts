import { isPlainObject } from '../scope/validate.ts';
import { RuleError, show } from './errors.ts';
import { type CompiledOperator, compileOperator, isOperatorName, OPERATOR_NAMES } from './operators.ts';
import { type Accessor, compilePath, pathCost } from './paths.ts';
import type { PolicyInput } from './types.ts';

/**
 * A condition map compiled at load into closures. `test` is the hot path: no allocation, no
 * strings, short-circuiting, cheapest parts first. `explain` walks everything in file order and
 * says why in words; it must agree with `test` (the tests check this on random inputs).
 */
export interface Condition {
  test(input: PolicyInput): boolean;
  /** Appends the reasons it failed to `out`; returns whether it held. */
  explain(input: PolicyInput, out: string[]): boolean;
  /** Rough relative price of `test`, to try cheap parts first. */
  cost: number;
}

const ALWAYS: Condition = { test: () => true, explain: () => true, cost: 0 };

/**
 * Conditions have no side effects and AND/OR are commutative, so `test` may try them in any
 * order. Trying the cheap ones first (an `action` equality or prefix before a `scope` lookup,
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

function fieldCondition(path: string, get: Accessor, ops: CompiledOperator[], readCost: number): Condition {
  // Whether the whole field condition holds for an absent field is fixed at load.
  const absentHolds = ops.every((op) => op.absent);
  const ordered = cheapestFirst(ops);
  const first = ordered[0] as CompiledOperator;
  const test =
    ordered.length === 1
      ? (input: PolicyInput) => {
          const actual = get(input);
          return actual === undefined ? absentHolds : first.present(actual);
        }
      : (input: PolicyInput) => {
          const actual = get(input);
          if (actual === undefined) return absentHolds;
          for (let i = 0; i < ordered.length; i++) {
            if (!(ordered[i] as CompiledOperator).present(actual)) return false;
          }
          return true;
        };
  const explain = (input: PolicyInput, out: string[]) => {
    const actual = get(input);
    let held = true;
    for (const op of ops) {
      const ok = actual === undefined ? op.absent : op.present(actual);
      if (ok) continue;
      held = false;
      out.push(
        `${path}: ${actual === undefined ? `absent (${op.name} ${show(op.operand)})` : op.describe(actual)}`,
      );
    }
    return held;
  };
  return { test, explain, cost: totalCost(ops) + readCost };
}

function allOf(children: Condition[], label: (index: number, reason: string) => string): Condition {
  const ordered = cheapestFirst(children);
  return {
    test: (input) => {
      for (let i = 0; i < ordered.length; i++) if (!(ordered[i] as Condition).test(input)) return false;
      return true;
    },
    explain: (input, out) => {
      let held = true;
      children.forEach((child, i) => {
        const reasons: string[] = [];
        if (child.explain(input, reasons)) return;
        held = false;
        for (const reason of reasons) out.push(label(i, reason));
      });
      return held;
    },
    cost: totalCost(children),
  };
}

function anyOf(children: Condition[]): Condition {
  const ordered = cheapestFirst(children);
  return {
    test: (input) => {
      for (let i = 0; i < ordered.length; i++) if ((ordered[i] as Condition).test(input)) return true;
      return false;
    },
    explain: (input, out) => {
      const why: string[] = [];
      for (const [i, child] of children.entries()) {
        const reasons: string[] = [];
        if (child.explain(input, reasons)) return true;
        why.push(`#${i + 1} ${reasons.join(', ')}`);
      }
      const n = children.length;
      out.push(`any: none of ${n} alternative${n === 1 ? '' : 's'} held (${why.join('; ')})`);
      return false;
    },
    cost: totalCost(children),
  };
}

function notOf(child: Condition, source: unknown): Condition {
  return {
    test: (input) => !child.test(input),
    explain: (input, out) => {
      if (!child.explain(input, [])) return true;
      out.push(`not: the negated condition held ${show(source)}`);
      return false;
    },
    cost: child.cost + 1,
  };
}
