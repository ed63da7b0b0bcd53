import { compileRegex } from '../scope/regex.ts';
import { show } from './errors.ts';
import type { Truth } from './truth.ts';

/**
 * Tests a present (non-null) value. Never throws. Returns TRUE (2) or FALSE (0) when the value
 * is of a type the operator compares, UNKNOWN (1) when it is not (see truth.ts): a number
 * operator on a string, list or object, a string operator on anything but a string, `equals`
 * on a value of another type than the operand.
 */
export type Test = (actual: unknown) => Truth;

export interface CompiledOperator {
  name: OperatorName;
  operand: unknown;
  /** The operator's truth for a present value. */
  present: Test;
  /** Whether the operator holds when the field is absent (SPEC §4: two-valued). */
  absent: boolean;
  /** Why a present value failed or could not be compared, for explain(); built only when asked. */
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

/** "is not a number" for the expected types of an operand list. */
function notOfType(types: ReadonlySet<string>): string {
  return `is not a ${[...types].join(' or ')}`;
}

/*
 * The string and number operators take a builder that returns the final closure, rather than a
 * comparison the closure would call: one call per test instead of two, on the hot path.
 * Truth values are the literals 0 (FALSE), 1 (UNKNOWN) and 2 (TRUE).
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

/** NaN (never in JSON) is neither above nor below anything: UNKNOWN too. */
function numberOp(build: (operand: number) => Test, words: string, name: string): OperatorSpec {
  return {
    compile: (operand) =>
      typeof operand === 'number' && Number.isFinite(operand)
        ? build(operand)
        : `expected a number, got ${show(operand)}`,
    absent: false,
    describe: (actual, operand) =>
      typeof actual === 'number' && !Number.isNaN(actual)
        ? `${actual} is not ${words} ${operand}`
        : `${show(actual)} is not a number (${name} ${operand})`,
  };
}

/**
 * `in` / `notIn`: a value of a type none of the operands has (a number for a list of strings,
 * any list or object) cannot be compared, so neither holds.
 */
function listOp(wanted: boolean): OperatorSpec {
  const hit: Truth = wanted ? 2 : 0;
  const miss: Truth = wanted ? 0 : 2;
  return {
    compile: (operand) => {
      if (!Array.isArray(operand) || operand.length === 0 || !operand.every(isScalar)) {
        return `expected a non-empty list of strings, numbers or booleans, got ${show(operand)}`;
      }
      const values = new Set<unknown>(operand);
      const types = new Set<string>(operand.map((v) => typeof v));
      if (types.size === 1) {
        const type = typeof operand[0];
        return (actual) => (values.has(actual) ? hit : typeof actual === type ? miss : 1);
      }
      return (actual) => (values.has(actual) ? hit : types.has(typeof actual) ? miss : 1);
    },
    absent: !wanted,
    describe: (actual, operand) => {
      const types = new Set((operand as Scalar[]).map((v) => typeof v));
      const name = wanted ? 'in' : 'notIn';
      if (!types.has(typeof actual)) {
        return `${show(actual)} ${notOfType(types)} (${name} ${show(operand)})`;
      }
      return wanted
        ? `${show(actual)} is not one of ${show(operand)}`
        : `${show(actual)} is one of ${show(operand)} (notIn)`;
    },
  };
}

/** `equals` / `notEquals` compare values of the operand's type; any other type is UNKNOWN. */
function equalityOp(wanted: boolean): OperatorSpec {
  const hit: Truth = wanted ? 2 : 0;
  const miss: Truth = wanted ? 0 : 2;
  return {
    compile: (operand) => {
      if (!isScalar(operand)) return scalarExpected(operand);
      const type = typeof operand;
      return (actual) => (actual === operand ? hit : typeof actual === type ? miss : 1);
    },
    absent: !wanted,
    describe: (actual, operand) => {
      const name = wanted ? 'equals' : 'notEquals';
      if (typeof actual !== typeof operand) {
        return `${show(actual)} is not a ${typeof operand} (${name} ${show(operand)})`;
      }
      return wanted
        ? `${show(actual)} does not equal ${show(operand)}`
        : `${show(actual)} equals ${show(operand)} (notEquals)`;
    },
  };
}

const OPERATORS = {
  equals: equalityOp(true),
  notEquals: equalityOp(false),
  startsWith: stringOp(
    (o) => (a) => (typeof a === 'string' ? (a.startsWith(o) ? 2 : 0) : 1),
    'start with',
    'startsWith',
  ),
  endsWith: stringOp(
    (o) => (a) => (typeof a === 'string' ? (a.endsWith(o) ? 2 : 0) : 1),
    'end with',
    'endsWith',
  ),
  contains: {
    compile: (operand) => {
      if (!isScalar(operand)) return scalarExpected(operand);
      if (typeof operand === 'string') {
        return (actual) =>
          typeof actual === 'string' ? (actual.includes(operand) ? 2 : 0) : listContains(actual, operand);
      }
      return (actual) => listContains(actual, operand);
    },
    absent: false,
    describe: (actual, operand) => describeContains(actual, operand as Scalar),
  },
  matches: {
    compile: (operand) => {
      if (typeof operand !== 'string') return `expected a regular expression string, got ${show(operand)}`;
      const compiled = compileRegex(operand);
      if (!compiled.ok) return `invalid regular expression ${show(operand)}: ${compiled.message}`;
      const regex = compiled.regex;
      return (actual) => (typeof actual === 'string' ? (regex.test(actual) ? 2 : 0) : 1);
    },
    absent: false,
    describe: (actual, operand) =>
      typeof actual === 'string'
        ? `${show(actual)} does not match ${show(operand)}`
        : `${show(actual)} is not a string (matches ${show(operand)})`,
  },
  in: listOp(true),
  notIn: listOp(false),
  lessThan: numberOp(
    (o) => (a) => (typeof a === 'number' ? (a < o ? 2 : a >= o ? 0 : 1) : 1),
    'less than',
    'lessThan',
  ),
  lessThanOrEqual: numberOp(
    (o) => (a) => (typeof a === 'number' ? (a <= o ? 2 : a > o ? 0 : 1) : 1),
    'less than or equal to',
    'lessThanOrEqual',
  ),
  greaterThan: numberOp(
    (o) => (a) => (typeof a === 'number' ? (a > o ? 2 : a <= o ? 0 : 1) : 1),
    'greater than',
    'greaterThan',
  ),
  greaterThanOrEqual: numberOp(
    (o) => (a) => (typeof a === 'number' ? (a >= o ? 2 : a < o ? 0 : 1) : 1),
    'greater than or equal to',
    'greaterThanOrEqual',
  ),
  exists: {
    // exists only looks at presence (two-valued, SPEC §4): true holds for any present value.
    compile: (operand) => {
      if (typeof operand !== 'boolean') return `expected true or false, got ${show(operand)}`;
      const result: Truth = operand ? 2 : 0;
      return () => result;
    },
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

/**
 * `contains` on a list holds when an element equals the operand. When none does, the answer is
 * UNKNOWN if an element is of another type than the operand, or is a string that contains the
 * operand as a substring: a list where the rule expected a string (`["DROP TABLE x"]` for
 * `contains "DROP TABLE"`) must not slip past the rule. Anything but a list (or, for a string
 * operand, a string) cannot be compared.
 */
function listContains(actual: unknown, operand: Scalar): Truth {
  if (!Array.isArray(actual)) return 1;
  if (actual.includes(operand)) return 2;
  const type = typeof operand;
  for (let i = 0; i < actual.length; i++) {
    const item: unknown = actual[i];
    if (typeof item !== type) return 1;
    if (type === 'string' && (item as string).includes(operand as string)) return 1;
  }
  return 0;
}

function describeContains(actual: unknown, operand: Scalar): string {
  const op = `(contains ${show(operand)})`;
  if (typeof actual === 'string') {
    return typeof operand === 'string'
      ? `${show(actual)} does not contain ${show(operand)}`
      : `${show(actual)} is a string, not a list ${op}`;
  }
  if (!Array.isArray(actual)) return `${show(actual)} is not a string or list ${op}`;
  if (listContains(actual, operand) === 0) return `${show(actual)} does not contain ${show(operand)}`;
  const odd = actual.find((item) => typeof item !== typeof operand);
  if (odd !== undefined) return `${show(actual)} has an element that is not a ${typeof operand} ${op}`;
  return `${show(actual)} has an element that contains ${show(operand)} as a substring but none equal to it ${op}`;
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
