import { compileRegex } from '../scope/regex.ts';
import { show } from './errors.ts';

/** Tests a present (non-null) value. Never throws: a type mismatch is a failed test. */
export type Test = (actual: unknown) => boolean;

export interface CompiledOperator {
  name: OperatorName;
  operand: unknown;
  /** Whether the operator holds for a present value. */
  present: Test;
  /** Whether the operator holds when the field is absent (SPEC §4). */
  absent: boolean;
  /** Why a present value failed, for explain(); built only when asked. */
  describe(actual: unknown): string;
  /** Rough relative price of `present`: a regex costs far more than a comparison. */
  cost: number;
}

type Scalar = string | number | boolean;

interface OperatorSpec {
  /** Checks the operand at load: the test, or the reason it is invalid. */
  compile(operand: unknown): Test | string;
  absent: boolean | ((operand: unknown) => boolean);
  describe(actual: unknown, operand: unknown): string;
}

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

/*
 * The string and number operators take a builder that returns the final closure, rather than a
 * comparison the closure would call: one call per test instead of two, on the hot path.
 */

function stringOp(build: (operand: string) => Test, verb: string, name: string): OperatorSpec {
  return {
    compile: (operand) =>
      typeof operand === 'string' ? build(operand) : `expected a string, got ${show(operand)}`,
    absent: false,
    describe: (actual, operand) =>
      typeof actual === 'string'
        ? `${show(actual)} does not ${verb} ${show(operand)}`
        : `${show(actual)} is not a string (${name} ${show(operand)})`,
  };
}

/** A non-number actual value fails: typeof rules out strings; JSON has no NaN, and NaN compares false. */
function numberOp(build: (operand: number) => Test, words: string, name: string): OperatorSpec {
  return {
    compile: (operand) =>
      typeof operand === 'number' && Number.isFinite(operand)
        ? build(operand)
        : `expected a number, got ${show(operand)}`,
    absent: false,
    describe: (actual, operand) =>
      isNumber(actual)
        ? `${actual} is not ${words} ${operand}`
        : `${show(actual)} is not a number (${name} ${operand})`,
  };
}

function listOp(wanted: boolean): OperatorSpec {
  return {
    compile: (operand) => {
      if (!Array.isArray(operand) || operand.length === 0 || !operand.every(isScalar)) {
        return `expected a non-empty list of strings, numbers or booleans, got ${show(operand)}`;
      }
      const values = new Set<unknown>(operand);
      return (actual) => values.has(actual) === wanted;
    },
    absent: !wanted,
    describe: (actual, operand) =>
      wanted
        ? `${show(actual)} is not one of ${show(operand)}`
        : `${show(actual)} is one of ${show(operand)} (notIn)`,
  };
}

const OPERATORS = {
  equals: {
    compile: (operand) => (isScalar(operand) ? (actual) => actual === operand : scalarExpected(operand)),
    absent: false,
    describe: (actual, operand) => `${show(actual)} does not equal ${show(operand)}`,
  },
  notEquals: {
    compile: (operand) => (isScalar(operand) ? (actual) => actual !== operand : scalarExpected(operand)),
    absent: true,
    describe: (actual, operand) => `${show(actual)} equals ${show(operand)} (notEquals)`,
  },
  startsWith: stringOp((o) => (a) => typeof a === 'string' && a.startsWith(o), 'start with', 'startsWith'),
  endsWith: stringOp((o) => (a) => typeof a === 'string' && a.endsWith(o), 'end with', 'endsWith'),
  contains: {
    compile: (operand) => {
      if (!isScalar(operand)) return scalarExpected(operand);
      return (actual) =>
        typeof actual === 'string'
          ? typeof operand === 'string' && actual.includes(operand)
          : containsElement(actual, operand);
    },
    absent: false,
    describe: (actual, operand) =>
      typeof actual === 'string' || Array.isArray(actual)
        ? `${show(actual)} does not contain ${show(operand)}`
        : `${show(actual)} is not a string or list (contains ${show(operand)})`,
  },
  matches: {
    compile: (operand) => {
      if (typeof operand !== 'string') return `expected a regular expression string, got ${show(operand)}`;
      const compiled = compileRegex(operand);
      if (!compiled.ok) return `invalid regular expression ${show(operand)}: ${compiled.message}`;
      const regex = compiled.regex;
      return (actual) => typeof actual === 'string' && regex.test(actual);
    },
    absent: false,
    describe: (actual, operand) =>
      typeof actual === 'string'
        ? `${show(actual)} does not match ${show(operand)}`
        : `${show(actual)} is not a string (matches ${show(operand)})`,
  },
  in: listOp(true),
  notIn: listOp(false),
  lessThan: numberOp((o) => (a) => typeof a === 'number' && a < o, 'less than', 'lessThan'),
  lessThanOrEqual: numberOp(
    (o) => (a) => typeof a === 'number' && a <= o,
    'less than or equal to',
    'lessThanOrEqual',
  ),
  greaterThan: numberOp((o) => (a) => typeof a === 'number' && a > o, 'greater than', 'greaterThan'),
  greaterThanOrEqual: numberOp(
    (o) => (a) => typeof a === 'number' && a >= o,
    'greater than or equal to',
    'greaterThanOrEqual',
  ),
  exists: {
    // exists only looks at presence: true holds for any present value, false for none.
    compile: (operand) =>
      typeof operand === 'boolean' ? () => operand : `expected true or false, got ${show(operand)}`,
    absent: (operand) => operand === false,
    describe: () => 'present (exists false)',
  },
} satisfies Record<string, OperatorSpec>;

export type OperatorName = keyof typeof OPERATORS;
export const OPERATOR_NAMES = Object.keys(OPERATORS) as OperatorName[];

function scalarExpected(operand: unknown): string {
  const hint = Array.isArray(operand) ? ' (use "in" for a list of values)' : '';
  return `expected a string, number or boolean, got ${show(operand)}${hint}`;
}

function containsElement(actual: unknown, operand: Scalar): boolean {
  return Array.isArray(actual) && actual.includes(operand);
}

const COSTS: Partial<Record<OperatorName, number>> = { startsWith: 2, endsWith: 2, contains: 3, matches: 50 };

export function isOperatorName(name: string): name is OperatorName {
  return Object.hasOwn(OPERATORS, name);
}

/** Compiles one operator of a field condition: the operator, or why its operand is invalid. */
export function compileOperator(name: OperatorName, operand: unknown): CompiledOperator | string {
  const spec: OperatorSpec = OPERATORS[name];
  const present = spec.compile(operand);
  if (typeof present === 'string') return present;
  return {
    name,
    operand,
    present,
    absent: typeof spec.absent === 'function' ? spec.absent(operand) : spec.absent,
    describe: (actual) => spec.describe(actual, operand),
    cost: COSTS[name] ?? 1,
  };
}
