import { isPlainObject } from '../scope/validate.ts';

/**
 * Most rules name their action exactly (`action: { equals: "gmail.send" }`), so a request can
 * only match those rules whose action is its own, plus the rules that do not pin one. Indexing
 * rules by pinned action lets `evaluate` skip the others without calling a single closure; a
 * policy of 1,000 such rules then costs a map lookup and a handful of tests, not 1,000 tests.
 * The index only ever skips rules that cannot match, so decisions are exactly those of a full
 * scan in rule order (the tests compare the two on random inputs).
 */

/** The actions a rule can match, read from its top-level `action` condition; null = any action. */
export function pinnedActions(conditions: unknown): ReadonlySet<string> | null {
  if (!isPlainObject(conditions) || !Object.hasOwn(conditions, 'action')) return null;
  const ops = conditions.action;
  if (!isPlainObject(ops)) return null;
  if (typeof ops.equals === 'string') return new Set([ops.equals]);
  if (Array.isArray(ops.in) && ops.in.every((v) => typeof v === 'string')) return new Set(ops.in);
  return null;
}

/** Bounds the index's memory: each pinned action's list also holds every unpinned rule. */
const MAX_INDEX_ENTRIES = 1_000_000;

/**
 * Candidate rule positions (in evaluation order) for each action, given each rule's pinned
 * actions in evaluation order. Returns null when an index would not pay for itself.
 */
export function buildActionIndex(
  pinned: readonly (ReadonlySet<string> | null)[],
): { byAction: Map<string, Int32Array>; unpinned: Int32Array } | null {
  const unpinnedCount = pinned.filter((p) => p === null).length;
  const actions = new Set<string>();
  for (const set of pinned) if (set) for (const action of set) actions.add(action);
  if (actions.size === 0 || actions.size * (unpinnedCount + 1) > MAX_INDEX_ENTRIES) return null;

  const lists = new Map<string, number[]>([...actions].map((a) => [a, []]));
  const unpinned: number[] = [];
  pinned.forEach((set, position) => {
    if (set === null) {
      unpinned.push(position);
      for (const list of lists.values()) list.push(position);
    } else {
      for (const action of set) lists.get(action)?.push(position);
    }
  });
  const byAction = new Map([...lists].map(([action, list]) => [action, Int32Array.from(list)]));
  return { byAction, unpinned: Int32Array.from(unpinned) };
}
