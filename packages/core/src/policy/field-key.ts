import { isPlainObject } from '../scope/validate.ts';
import {
  type ActionSet,
  operatorFalseOutside,
  operatorTrueOutside,
  union as unionSets,
  width,
} from './action-key.ts';

/** The request's top-level strings a rule without an action set can be indexed by. */
export const KEY_FIELDS = ['action', 'agent', 'agentId', 'resource'] as const;
export type KeyField = (typeof KEY_FIELDS)[number];

/**
 * For a rule the action index cannot pin (an `any` branch says nothing of the action), the
 * values of the request's top-level strings it can possibly match, as a disjunction: the rule
 * is FALSE whenever every field named here is a string outside its set. `{ action: svc.*,
 * agent: {ops} }` is the key of `any: [{ action: { startsWith: "svc." } }, { agent: { equals:
 * "ops" } }]`. null: no such fields (the rule is tried for every request); `{}` (no field): the
 * rule is FALSE for every request, such as `not: {}`.
 *
 * The same analysis as action-key.ts, with one field per branch: a map and `all` keep the
 * narrowest part's key (any part that is FALSE makes the AND FALSE); `any` is the union of its
 * branches' keys, field by field (FALSE only if every branch is, and a branch is when all its
 * fields are outside); `not` takes the other direction (TRUE outside), where the roles of any and
 * all swap. Only string operands count, which compare a string TRUE or FALSE, never UNKNOWN.
 */
export type FieldKey = Readonly<Partial<Record<KeyField, ActionSet>>> | null;

const isKeyField = (key: string): key is KeyField => (KEY_FIELDS as readonly string[]).includes(key);

export function fieldKey(conditions: unknown): FieldKey {
  return falseOutside(conditions);
}

function falseOutside(map: unknown): FieldKey {
  if (!isPlainObject(map)) return null;
  return narrowest(Object.entries(map).map(([key, value]) => entryFalseOutside(key, value)));
}

function trueOutside(map: unknown): FieldKey {
  if (!isPlainObject(map)) return null;
  // An empty map always holds: TRUE with no field outside anything.
  return union(Object.entries(map).map(([key, value]) => entryTrueOutside(key, value)));
}

function entryFalseOutside(key: string, value: unknown): FieldKey {
  if (key === 'any') return Array.isArray(value) ? union(value.map(falseOutside)) : null;
  if (key === 'all') return Array.isArray(value) ? narrowest(value.map(falseOutside)) : null;
  if (key === 'not') return trueOutside(value);
  if (!isKeyField(key) || !isPlainObject(value)) return null;
  return narrowest(
    Object.entries(value).map(([name, operand]) => single(key, operatorFalseOutside(name, operand))),
  );
}

function entryTrueOutside(key: string, value: unknown): FieldKey {
  if (key === 'any') return Array.isArray(value) ? narrowest(value.map(trueOutside)) : null;
  if (key === 'all') return Array.isArray(value) ? union(value.map(trueOutside)) : null;
  if (key === 'not') return falseOutside(value);
  if (!isKeyField(key) || !isPlainObject(value)) return null;
  return union(
    Object.entries(value).map(([name, operand]) => single(key, operatorTrueOutside(name, operand))),
  );
}

const single = (field: KeyField, set: ActionSet | null): FieldKey => (set === null ? null : { [field]: set });

/** How much a key admits; an action set is preferred on a tie, the action index serves it best. */
function keyWidth(key: NonNullable<FieldKey>): number {
  let total = 0;
  for (const field of KEY_FIELDS) {
    const set = key[field];
    if (set !== undefined) total += width(set) + (field === 'action' ? 0 : 0.5);
  }
  return total;
}

/** For an AND: each part's key bounds the whole, so the narrowest known one is kept. */
function narrowest(keys: FieldKey[]): FieldKey {
  let best: FieldKey = null;
  for (const key of keys) if (key !== null && (best === null || keyWidth(key) < keyWidth(best))) best = key;
  return best;
}

/** For an OR: field by field, the union of the parts' sets; unconstrained if any part is. */
function union(keys: FieldKey[]): FieldKey {
  if (keys.some((key) => key === null)) return null;
  const merged: Partial<Record<KeyField, ActionSet>> = {};
  for (const field of KEY_FIELDS) {
    const sets = keys.flatMap((key) => (key?.[field] === undefined ? [] : [key[field] as ActionSet]));
    if (sets.length > 0) merged[field] = unionSets(sets) as ActionSet;
  }
  return merged;
}
