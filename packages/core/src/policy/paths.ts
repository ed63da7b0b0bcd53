import { RuleError } from './errors.ts';
import type { PolicyInput } from './types.ts';

/**
 * Reads a field of the input; undefined means absent (missing, or null: JSON has no undefined,
 * so nothing present can be mistaken for it). Checking `=== undefined` needs no imported
 * sentinel on the hot path, which matters once modules are transpiled to getter-based exports.
 */
export type Accessor = (input: PolicyInput) => unknown;

/** Fields that are strings on the input and so have no sub-fields. */
const LEAF_ROOTS = ['action', 'resource', 'agent', 'agentId'] as const;
/** Fields that are JSON objects and are addressed by a dotted path below them. */
const OBJECT_ROOTS = ['scope', 'context'] as const;

export const KNOWN_FIELDS = 'action, resource, agent, agentId, scope.<name>, context.<name>';

/**
 * Compiles a dotted condition path into an accessor. Unknown roots are load errors so that a
 * typo (`acton`) is caught instead of silently never matching. Lookups use own properties
 * only: a path through `__proto__` or `constructor` finds nothing rather than Object.prototype.
 * Array elements are reachable by numeric segment (`context.recipients.0`).
 */
export function compilePath(path: string, where: string): Accessor {
  const segments = path.split('.');
  const root = segments[0] ?? '';
  const at = where === '' ? '' : ` in ${where}`;
  if (segments.some((s) => s === '')) throw new RuleError(`invalid field path "${path}"${at}`);
  if ((LEAF_ROOTS as readonly string[]).includes(root)) {
    if (segments.length > 1) throw new RuleError(`"${root}" has no sub-fields (in "${path}"${at})`);
    return leafAccessor(root as (typeof LEAF_ROOTS)[number]);
  }
  if ((OBJECT_ROOTS as readonly string[]).includes(root)) {
    if (segments.length === 1) throw new RuleError(`"${root}" needs a field name, e.g. "${root}.name"${at}`);
    return objectAccessor(root as (typeof OBJECT_ROOTS)[number], segments.slice(1));
  }
  throw new RuleError(`unknown field "${path}"${at} (known: ${KNOWN_FIELDS})`);
}

/**
 * Rough relative price of reading a path, added to its operators' to order a rule's tests: a
 * leaf is one property read, while `scope.x` checks the container and an own property per
 * segment. It also puts the request's own strings (action, resource), which most rules use to
 * say what they are about and so fail most often, before the details in scope and context.
 * Call only on a path compilePath accepted.
 */
export function pathCost(path: string): number {
  return (LEAF_ROOTS as readonly string[]).includes(path) ? 0 : 1 + path.split('.').length;
}

/** One closure per field, with a named property read: faster than `input[root]` on the hot path. */
const LEAF_ACCESSORS: Record<(typeof LEAF_ROOTS)[number], Accessor> = {
  action: (input) => (input.action === null ? undefined : input.action),
  resource: (input) => (input.resource === null ? undefined : input.resource),
  agent: (input) => (input.agent === null ? undefined : input.agent),
  agentId: (input) => (input.agentId === null ? undefined : input.agentId),
};

function leafAccessor(root: (typeof LEAF_ROOTS)[number]): Accessor {
  return LEAF_ACCESSORS[root];
}

function objectAccessor(root: (typeof OBJECT_ROOTS)[number], segments: string[]): Accessor {
  // An array's own properties are its indexes and "length"; only indexes are fields.
  const guard = segments.map((s) => s === 'length');
  const first = segments[0] as string;
  const firstGuard = guard[0] === true;
  // One segment (`scope.max_size`) is by far the common case: no loop, named property reads.
  if (segments.length === 1) {
    return root === 'scope'
      ? (input) => ownValue(input.scope, first, firstGuard)
      : (input) => ownValue(input.context, first, firstGuard);
  }
  return (input) => {
    let current: unknown = input[root];
    for (let i = 0; i < segments.length; i++) {
      current = ownValue(current, segments[i] as string, guard[i] === true);
      if (current === undefined) return undefined;
    }
    return current;
  };
}

/** `notArrayLength` is set for a "length" segment, the one own property of arrays that is no field. */
function ownValue(container: unknown, key: string, notArrayLength: boolean): unknown {
  if (typeof container !== 'object' || container === null) return undefined;
  if (notArrayLength && Array.isArray(container)) return undefined;
  if (!Object.hasOwn(container, key)) return undefined;
  const value = (container as Record<string, unknown>)[key];
  return value === null ? undefined : value;
}
