import type { PolicyDecision } from '../types.ts';
import type { ActionKey, ActionSet } from './action-key.ts';
import type { Condition } from './conditions.ts';
import { type FieldKey, KEY_FIELDS, type KeyField } from './field-key.ts';
import type { PolicyInput } from './types.ts';

/**
 * Most rules constrain the action: exactly (`action: { equals: "gmail.send" }`, `in`) or by
 * prefix (`action: { startsWith: "bank." }`, `matches: "^bank\\."`), at the top level or inside
 * any/all/not (action-key.ts derives the set of actions each rule can match). A request can then
 * only match the rules whose set its action is in, plus the rules with no such constraint. Indexing rules by that
 * constraint lets `evaluate` skip the others without calling a single closure: a policy of
 * 1,000 such rules costs a map lookup or two and a handful of tests, not 1,000 tests.
 * The index only ever skips rules that cannot match (nor be undecided, see buildRuleFinder) and
 * tries the rest in rule order, so decisions are exactly those of a full scan (the tests compare
 * the two on random policies).
 */

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

/** Merges ascending position lists into one, each position once. */
function mergeSorted(lists: readonly Int32Array[]): Int32Array {
  const merged = new Int32Array(lists.reduce((sum, list) => sum + list.length, 0));
  let at = 0;
  for (const list of lists) {
    merged.set(list, at);
    at += list.length;
  }
  merged.sort();
  return merged.filter((position, i) => i === 0 || position !== merged[i - 1]);
}

/** What `buildRuleFinder` returns when no rule decides: the default deny. */
export const NO_RULE = -1;

/**
 * The code of a decision made by rule `position` because the request could not be compared
 * against it (UNKNOWN): below -1, so that codes ≥ 0 stay "the rule matched".
 */
export function undecidedCode(position: number): number {
  return -2 - position;
}

/** The position of the rule of a code below NO_RULE (the inverse of undecidedCode). */
export function undecidedPosition(code: number): number {
  return -2 - code;
}

/** Rule decisions by strictness, as the finder stores them. */
const AUTO = 0;
const APPROVAL = 1;
const DENY = 2;
const STRICTNESS: Record<PolicyDecision, number> = {
  auto_approve: AUTO,
  require_approval: APPROVAL,
  deny: DENY,
};

/**
 * Builds the search for the deciding rule, given each rule's action key, condition and decision
 * in evaluation order. Returns the rule's position when it matched, `undecidedCode(position)`
 * when it decides because the request could not be compared against it, NO_RULE otherwise.
 *
 * Three-valued evaluation (truth.ts): rules are tried in order; the first that holds (TRUE)
 * is the match. A rule that is UNKNOWN "might match": an auto_approve one is passed over (it does
 * not grant what it cannot judge); a deny one decides at once (nothing is stricter); the first
 * require_approval one is remembered. The decision is the strictest of the match (or the default
 * deny) and the remembered rule; on a tie the match decides, since it surely applies.
 *
 * Candidates for an action come from up to three kinds of ascending position lists: the rules
 * without a key, the rules pinned to exactly that action, and those of each prefix of it in use.
 * Positions are evaluation order, so walking the lists' merge tries candidates in rule order.
 * For actions some rule names exactly, the merge is done ahead (within `maxEntries`), making
 * the common case one map lookup and one list walk. `maxEntries` is a parameter for the tests.
 *
 * `fieldKeys` (field-key.ts) gives rules without an action key the other top-level strings they
 * can match; such a rule is a candidate when one of those fields is a string in its set, or is
 * not a string. A rule with neither key is a candidate for every request.
 *
 * The index only skips rules whose action constraint is FALSE, and such a rule is FALSE as a
 * whole (FALSE AND anything is FALSE), so it can neither match nor be UNKNOWN. That holds for
 * a string action, which a string `equals`, `in` or `startsWith` always compares; any other
 * action value is tested against every rule.
 */
export function buildRuleFinder(
  keys: readonly ActionKey[],
  conditions: readonly Condition[],
  decisions: readonly PolicyDecision[],
  maxEntries = MAX_INDEX_ENTRIES,
  fieldKeys: readonly FieldKey[] = [],
): (input: PolicyInput) => number {
  const count = conditions.length;
  const strictness = Uint8Array.from(decisions, (d) => STRICTNESS[d]);

  // Scratch for one decision: `evaluate` is synchronous and conditions never re-enter it, so
  // one set per policy suffices. `held` is the first require_approval rule that was UNKNOWN.
  let held = -1;
  let found = NO_RULE;

  /** Tries rule `i`; returns true once the decision is made, in `found`. Truth: 0/1/2. */
  function decides(i: number, input: PolicyInput): boolean {
    const t = (conditions[i] as Condition).test(input);
    if (t === 0) return false;
    const kind = strictness[i] as number;
    if (t === 2) {
      found = held >= 0 && kind === AUTO ? undecidedCode(held) : i;
      return true;
    }
    if (kind === DENY) {
      found = undecidedCode(i);
      return true;
    }
    if (kind === APPROVAL && held < 0) held = i;
    return false;
  }

  /** Starts a decision; the walkers return `finish()` when they run out of candidates. */
  const start = () => {
    held = -1;
    found = NO_RULE;
  };
  // Out of rules: the default deny, which is stricter than a remembered require_approval.
  const finish = () => NO_RULE;

  const scan = (input: PolicyInput): number => {
    start();
    for (let i = 0; i < count; i++) if (decides(i, input)) return found;
    return finish();
  };
  if (keys.every((key, i) => key === null && (fieldKeys[i] ?? null) === null)) return scan;

  // Rules the action cannot pin but other top-level strings can (field-key.ts) are found by
  // those fields instead: such a rule is a candidate when one of its fields is a string in its
  // set, or is not a string at all (then nothing is known and the rule is tried).
  const unpinnedList: number[] = [];
  const actionEntries: [number, ActionSet][] = [];
  const byField = new Map<KeyField, { entries: [number, ActionSet][]; all: number[] }>();
  keys.forEach((key, position) => {
    if (key !== null) {
      actionEntries.push([position, key]);
      return;
    }
    const other = fieldKeys[position] ?? null;
    if (other === null) {
      unpinnedList.push(position);
      return;
    }
    for (const field of KEY_FIELDS) {
      const set = other[field];
      if (set === undefined) continue;
      let index = byField.get(field);
      if (index === undefined) {
        index = { entries: [], all: [] };
        byField.set(field, index);
      }
      index.entries.push([position, set]);
      index.all.push(position);
    }
  });
  const unpinned = Int32Array.from(unpinnedList);
  const actions = indexSets(actionEntries);
  const exact = actions.exact;
  const fields = [...byField].map(([field, { entries, all }]) => ({
    field,
    index: indexSets(entries),
    all: Int32Array.from(all),
  }));

  // The candidate lists of one decision and a cursor in each.
  const lists: Int32Array[] = [];
  let heads = new Int32Array(16);

  /** Every candidate list of `action`, unmerged, in `lists`; returns how many. */
  function gather(action: string): number {
    let n = 0;
    if (unpinned.length > 0) lists[n++] = unpinned;
    const pinned = exact.get(action);
    if (pinned !== undefined) lists[n++] = pinned;
    return actions.addPrefixLists(action, lists, n);
  }

  /** Appends the candidate lists of the rules keyed by other fields; returns the new length. */
  function gatherFields(input: PolicyInput, n: number): number {
    for (let f = 0; f < fields.length; f++) {
      const { field, index, all } = fields[f] as (typeof fields)[number];
      const value = input[field];
      if (typeof value !== 'string') {
        lists[n++] = all;
        continue;
      }
      const hit = index.exact.get(value);
      if (hit !== undefined) lists[n++] = hit;
      n = index.addPrefixLists(value, lists, n);
    }
    return n;
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

  function decideIn(list: Int32Array, input: PolicyInput): number {
    start();
    for (let k = 0; k < list.length; k++) if (decides(list[k] as number, input)) return found;
    return finish();
  }

  /** Walks the merge of `lists[0..n)` in ascending position without building it. */
  function decideInMerged(n: number, input: PolicyInput): number {
    start();
    if (heads.length < n) heads = new Int32Array(2 * n);
    heads.fill(0, 0, n);
    let last = -1;
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
      if (best < 0) return finish();
      heads[from] = (heads[from] as number) + 1;
      if (best === last) continue;
      last = best;
      if (decides(best, input)) return found;
    }
  }

  return (input: PolicyInput): number => {
    const action = input.action;
    // A non-string action could be UNKNOWN to the indexed rules' action tests: try them all.
    if (typeof action !== 'string') return scan(input);
    let n = 0;
    const list = complete === null ? undefined : complete.get(action);
    if (list !== undefined) lists[n++] = list;
    else n = gather(action);
    if (fields.length > 0) n = gatherFields(input, n);
    if (n === 0) return NO_RULE;
    if (n === 1) return decideIn(lists[0] as Int32Array, input);
    return decideInMerged(n, input);
  };
}

interface SetIndex {
  /** Positions of the rules naming each exact value, ascending. */
  exact: Map<string, Int32Array>;
  /** Appends the lists of the prefixes of `value` in use to `lists` from `n`; returns the new length. */
  addPrefixLists(value: string, lists: Int32Array[], n: number): number;
}

/** Indexes rules (position, set of values) by exact value and by prefix; positions ascending. */
function indexSets(entries: readonly [number, ActionSet][]): SetIndex {
  const exactLists = new Map<string, number[]>();
  const prefixLists = new Map<string, number[]>();
  const add = (lists: Map<string, number[]>, key: string, position: number) => {
    const list = lists.get(key);
    if (list) list.push(position);
    else lists.set(key, [position]);
  };
  // A rule of several entries is in several lists; one value meets at most one of them (the
  // set is normalised), and the walks skip a repeat all the same.
  for (const [position, set] of entries) {
    for (const value of set.exact) add(exactLists, value, position);
    for (const prefix of set.prefixes) add(prefixLists, prefix, position);
  }
  const exact = new Map([...exactLists].map(([value, list]) => [value, Int32Array.from(list)]));
  const byHash = new Map<number, PrefixEntry>();
  for (const [prefix, list] of prefixLists) {
    const hash = hashOf(prefix);
    byHash.set(hash, { prefix, rules: Int32Array.from(list), next: byHash.get(hash) });
  }
  const lengths = Int32Array.from(new Set([...prefixLists.keys()].map((p) => p.length))).sort();
  function addPrefixLists(value: string, lists: Int32Array[], n: number): number {
    let hash = 0;
    let hashed = 0;
    for (let k = 0; k < lengths.length; k++) {
      const length = lengths[k] as number;
      if (length > value.length) break;
      for (; hashed < length; hashed++) hash = extendHash(hash, value.charCodeAt(hashed));
      for (let entry = byHash.get(hash); entry !== undefined; entry = entry.next) {
        if (entry.prefix.length === length && value.startsWith(entry.prefix)) {
          lists[n++] = entry.rules;
          break;
        }
      }
    }
    return n;
  }
  return { exact, addPrefixLists };
}
