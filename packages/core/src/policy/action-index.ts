import { isPlainObject } from '../scope/validate.ts';
import type { Condition } from './conditions.ts';
import type { PolicyInput } from './types.ts';

/**
 * Most rules constrain the action: exactly (`action: { equals: "gmail.send" }`, `in`) or by
 * prefix (`action: { startsWith: "bank." }`). A request can then only match the rules whose
 * constraint its action meets, plus the rules with no such constraint. Indexing rules by that
 * constraint lets `evaluate` skip the others without calling a single closure: a policy of
 * 1,000 such rules costs a map lookup or two and a handful of tests, not 1,000 tests.
 * The index only ever skips rules that cannot match and tries the rest in rule order, so
 * decisions are exactly those of a full scan (the tests compare the two on random policies).
 */

/**
 * What a rule's conditions require of the action, whatever else they say: one of a set of
 * exact actions, a prefix, or nothing usable (null: the rule is tried for every request).
 */
export type ActionKey =
  | { kind: 'exact'; actions: ReadonlySet<string> }
  | { kind: 'prefix'; prefix: string }
  | null;

/**
 * Reads the action constraint from conditions that have already compiled. Only constraints the
 * rule cannot match without count: the top-level `action` entry and those of `all` maps, which
 * are ANDed; one inside `any` or `not` may be bypassed or inverted, so it is ignored. When there
 * are several, the narrowest wins: an exact set (the smallest) over a prefix (the longest).
 */
export function actionKey(conditions: unknown): ActionKey {
  let best: ActionKey = null;
  const consider = (key: ActionKey) => {
    if (key === null || best === null) {
      best ??= key;
    } else if (key.kind === 'exact') {
      if (best.kind === 'prefix' || key.actions.size < best.actions.size) best = key;
    } else if (best.kind === 'prefix' && key.prefix.length > best.prefix.length) {
      best = key;
    }
  };
  const visit = (map: unknown) => {
    if (!isPlainObject(map)) return;
    if (Object.hasOwn(map, 'action')) consider(fieldKey(map.action));
    if (Object.hasOwn(map, 'all') && Array.isArray(map.all)) for (const child of map.all) visit(child);
  };
  visit(conditions);
  return best;
}

function fieldKey(ops: unknown): ActionKey {
  if (!isPlainObject(ops)) return null;
  if (typeof ops.equals === 'string') return { kind: 'exact', actions: new Set([ops.equals]) };
  if (Array.isArray(ops.in) && ops.in.every((v) => typeof v === 'string')) {
    return { kind: 'exact', actions: new Set(ops.in) };
  }
  // "" is a prefix of every action: such a rule is as good as unconstrained, and cheaper so.
  if (typeof ops.startsWith === 'string' && ops.startsWith !== '') {
    return { kind: 'prefix', prefix: ops.startsWith };
  }
  return null;
}

/**
 * Bounds the memory of the per-action lists built ahead (each holds every rule that action can
 * match); beyond it, the exact-action lists are merged with the others at each decision instead.
 */
const MAX_INDEX_ENTRIES = 1_000_000;

/**
 * Prefixes are found by hashing the action's leading characters once, extending the hash to
 * each prefix length in use and looking it up, so no substring is allocated per decision. A
 * hit is confirmed with startsWith; distinct prefixes whose hashes collide share a chain.
 */
interface PrefixEntry {
  prefix: string;
  /** Positions of the rules with this prefix, ascending. */
  rules: Int32Array;
  next: PrefixEntry | undefined;
}

/** Extends a prefix hash by one character; kept within Smi range so Map keys stay cheap. */
function extendHash(hash: number, code: number): number {
  return (Math.imul(hash, 31) + code) & 0x3fffffff;
}

function hashOf(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = extendHash(hash, text.charCodeAt(i));
  return hash;
}

/** Merges ascending position lists (each rule is in at most one of them) into one. */
function mergeSorted(lists: readonly Int32Array[]): Int32Array {
  const merged = new Int32Array(lists.reduce((sum, list) => sum + list.length, 0));
  let at = 0;
  for (const list of lists) {
    merged.set(list, at);
    at += list.length;
  }
  return merged.sort();
}

/**
 * Builds the search for the first matching rule, given each rule's action key and condition in
 * evaluation order. Returns the rule's position, or -1 when none matches.
 *
 * Candidates for an action come from up to three kinds of ascending position lists: the rules
 * without a key, the rules pinned to exactly that action, and those of each prefix of it in use.
 * Positions are evaluation order, so walking the lists' merge tries candidates in rule order.
 * For actions some rule names exactly, the merge is done ahead (within `maxEntries`), making
 * the common case one map lookup and one list walk. `maxEntries` is a parameter for the tests.
 */
export function buildRuleFinder(
  keys: readonly ActionKey[],
  conditions: readonly Condition[],
  maxEntries = MAX_INDEX_ENTRIES,
): (input: PolicyInput) => number {
  const count = conditions.length;
  const scan = (input: PolicyInput): number => {
    for (let i = 0; i < count; i++) if ((conditions[i] as Condition).test(input)) return i;
    return -1;
  };
  if (keys.every((key) => key === null)) return scan;

  const unpinnedList: number[] = [];
  const exactLists = new Map<string, number[]>();
  const prefixLists = new Map<string, number[]>();
  keys.forEach((key, position) => {
    if (key === null) {
      unpinnedList.push(position);
    } else if (key.kind === 'exact') {
      for (const action of key.actions) {
        const list = exactLists.get(action);
        if (list) list.push(position);
        else exactLists.set(action, [position]);
      }
    } else {
      const list = prefixLists.get(key.prefix);
      if (list) list.push(position);
      else prefixLists.set(key.prefix, [position]);
    }
  });
  const unpinned = Int32Array.from(unpinnedList);
  const exact = new Map([...exactLists].map(([action, list]) => [action, Int32Array.from(list)]));
  const byHash = new Map<number, PrefixEntry>();
  for (const [prefix, list] of prefixLists) {
    const hash = hashOf(prefix);
    byHash.set(hash, { prefix, rules: Int32Array.from(list), next: byHash.get(hash) });
  }
  const lengths = Int32Array.from(new Set([...prefixLists.keys()].map((p) => p.length))).sort();

  // Scratch for one decision: the candidate lists and a cursor in each. `evaluate` is
  // synchronous and conditions never re-enter it, so one set per policy suffices.
  const lists: Int32Array[] = [];
  const heads = new Int32Array(lengths.length + 2);

  /** Appends the lists of the prefixes of `action` in use to `lists` from `n`; returns the new length. */
  function addPrefixLists(action: string, n: number): number {
    let hash = 0;
    let hashed = 0;
    for (let k = 0; k < lengths.length; k++) {
      const length = lengths[k] as number;
      if (length > action.length) break;
      for (; hashed < length; hashed++) hash = extendHash(hash, action.charCodeAt(hashed));
      for (let entry = byHash.get(hash); entry !== undefined; entry = entry.next) {
        if (entry.prefix.length === length && action.startsWith(entry.prefix)) {
          lists[n++] = entry.rules;
          break;
        }
      }
    }
    return n;
  }

  /** Every candidate list of `action`, unmerged, in `lists`; returns how many. */
  function gather(action: string): number {
    let n = 0;
    if (unpinned.length > 0) lists[n++] = unpinned;
    const pinned = exact.get(action);
    if (pinned !== undefined) lists[n++] = pinned;
    return addPrefixLists(action, n);
  }

  // The merged lists of exactly named actions, unless they would take too much memory.
  let complete: Map<string, Int32Array> | null = new Map();
  let entries = 0;
  for (const action of exact.keys()) {
    const n = gather(action);
    for (let j = 0; j < n; j++) entries += (lists[j] as Int32Array).length;
    if (entries > maxEntries) {
      complete = null;
      break;
    }
    complete.set(action, mergeSorted(lists.slice(0, n)));
  }
  lists.length = 0;

  function firstIn(list: Int32Array, input: PolicyInput): number {
    for (let k = 0; k < list.length; k++) {
      const i = list[k] as number;
      if ((conditions[i] as Condition).test(input)) return i;
    }
    return -1;
  }

  /** Walks the merge of `lists[0..n)` in ascending position without building it. */
  function firstInMerged(n: number, input: PolicyInput): number {
    heads.fill(0, 0, n);
    for (;;) {
      let best = -1;
      let from = -1;
      for (let j = 0; j < n; j++) {
        const list = lists[j] as Int32Array;
        const head = heads[j] as number;
        if (head < list.length) {
          const position = list[head] as number;
          if (best < 0 || position < best) {
            best = position;
            from = j;
          }
        }
      }
      if (best < 0) return -1;
      heads[from] = (heads[from] as number) + 1;
      if ((conditions[best] as Condition).test(input)) return best;
    }
  }

  return (input: PolicyInput): number => {
    const action = input.action;
    // No exact or prefix constraint holds for a non-string (or absent) action.
    if (typeof action !== 'string') return firstIn(unpinned, input);
    if (complete !== null) {
      const list = complete.get(action);
      if (list !== undefined) return firstIn(list, input);
    }
    const n = gather(action);
    if (n === 0) return -1;
    if (n === 1) return firstIn(lists[0] as Int32Array, input);
    return firstInMerged(n, input);
  };
}
