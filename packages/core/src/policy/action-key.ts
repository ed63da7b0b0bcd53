import { isPlainObject } from '../scope/validate.ts';

/**
 * The actions a rule can possibly match, read from its conditions at load for the action index
 * (action-index.ts): a rule is tried only for an action in `exact` or starting with one of
 * `prefixes`; null means any action. The guarantee the index relies on: for a string action
 * outside the set, the rule's conditions are FALSE — not UNKNOWN — so skipping it changes
 * nothing. (Non-string actions are tried against every rule.)
 *
 * Normalised: no prefix is a prefix of another, no exact action starts with a prefix, so one
 * action meets at most one entry of a rule. An empty set (no exact, no prefix) is a rule that
 * no string action can match, such as `not: {}`.
 */
export interface ActionSet {
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
}

export type ActionKey = ActionSet | null;

const NOTHING: ActionSet = { exact: new Set(), prefixes: [] };

/**
 * Analyses a rule's conditions. Besides the plain `action: { equals | in | startsWith |
 * matches }` tests, the constraint is followed through the condition tree, in Kleene logic
 * (conditions.ts):
 * - a map and `all` are ANDed: one part that pins the action suffices (the narrowest is kept);
 * - `any` is FALSE only when every branch is: the union of the branches, and unconstrained as
 *   soon as one branch is;
 * - `not X` is FALSE exactly when X is TRUE, so it is analysed in the other direction: the
 *   actions outside which X is certainly TRUE (`notEquals`, `notIn`, `exists: true` on the
 *   action; De Morgan through any/all). Anything else under `not` is unconstrained.
 */
export function actionKey(conditions: unknown): ActionKey {
  return falseOutside(conditions);
}

/** The actions outside which `map` is certainly FALSE (null: none known). */
function falseOutside(map: unknown): ActionKey {
  if (!isPlainObject(map)) return null;
  return narrowest(Object.entries(map).map(([key, value]) => entryFalseOutside(key, value)));
}

/** The actions outside which `map` is certainly TRUE (null: none known). */
function trueOutside(map: unknown): ActionKey {
  if (!isPlainObject(map)) return null;
  // An empty map always holds: it is TRUE outside the empty set.
  return union(Object.entries(map).map(([key, value]) => entryTrueOutside(key, value)));
}

function entryFalseOutside(key: string, value: unknown): ActionKey {
  if (key === 'any') return Array.isArray(value) ? union(value.map(falseOutside)) : null;
  if (key === 'all') return Array.isArray(value) ? narrowest(value.map(falseOutside)) : null;
  if (key === 'not') return trueOutside(value);
  if (key !== 'action' || !isPlainObject(value)) return null;
  return narrowest(Object.entries(value).map(([name, operand]) => operatorFalseOutside(name, operand)));
}

function entryTrueOutside(key: string, value: unknown): ActionKey {
  if (key === 'any') return Array.isArray(value) ? narrowest(value.map(trueOutside)) : null;
  if (key === 'all') return Array.isArray(value) ? union(value.map(trueOutside)) : null;
  if (key === 'not') return falseOutside(value);
  if (key !== 'action' || !isPlainObject(value)) return null;
  return union(Object.entries(value).map(([name, operand]) => operatorTrueOutside(name, operand)));
}

/** A string operand compares a string action TRUE or FALSE, never UNKNOWN (operators.ts). */
function strings(operand: unknown): string[] {
  return Array.isArray(operand) ? operand.filter((v): v is string => typeof v === 'string') : [];
}

export function operatorFalseOutside(name: string, operand: unknown): ActionKey {
  switch (name) {
    case 'equals':
      return typeof operand === 'string' ? exact([operand]) : null;
    case 'in': {
      // A list with a string compares any string action: not one of them is FALSE.
      const list = strings(operand);
      return list.length > 0 ? exact(list) : null;
    }
    case 'startsWith':
      return typeof operand === 'string' ? prefix(operand) : null;
    case 'matches':
      return typeof operand === 'string' ? prefix(literalPrefix(operand)) : null;
    default:
      return null;
  }
}

export function operatorTrueOutside(name: string, operand: unknown): ActionKey {
  switch (name) {
    case 'notEquals':
      return typeof operand === 'string' ? exact([operand]) : null;
    case 'notIn': {
      const list = strings(operand);
      return list.length > 0 ? exact(list) : null;
    }
    case 'exists':
      // The action is present whenever it is a string.
      return operand === true ? NOTHING : null;
    default:
      return null;
  }
}

const exact = (actions: string[]): ActionSet => ({ exact: new Set(actions), prefixes: [] });
/** The empty prefix admits every action: no constraint. */
const prefix = (text: string): ActionKey => (text === '' ? null : { exact: new Set(), prefixes: [text] });

/**
 * The literal text every match of an anchored pattern starts with: `^bank\.tr(ansfer|ade)`
 * gives `bank.tr`. Conservative, since a longer prefix than the truth would skip a rule that
 * matches: only `^` at the very start, then plain ASCII characters or escaped punctuation, up to
 * the first other syntax; a character made optional by `?`, `*` or `{` is left out. A `|`
 * outside every group gives no prefix (that alternative need not be anchored), and so does any
 * `|` in a pattern with a class or a `\Q` quote, whose brackets do not nest. Flags can only come
 * in a group, which ends the prefix, so case-insensitive matching never applies to it.
 */
export function literalPrefix(pattern: string): string {
  if (!pattern.startsWith('^')) return '';
  if (pattern.includes('|') && (/\[|\\Q/.test(pattern) || hasTopLevelBar(pattern))) return '';
  let text = '';
  let i = 1;
  while (i < pattern.length) {
    let char = pattern[i] as string;
    let next = i + 1;
    if (char === '\\') {
      char = pattern[i + 1] ?? '';
      next = i + 2;
      if (!/^[!-/:-@[-`{-~]$/.test(char)) break; // \d, \w, \Q…: not one literal character
    } else if (!/^[ -~]$/.test(char) || '.^$?*+()[]{}'.includes(char)) {
      break;
    }
    const after = pattern[next];
    if (after === '?' || after === '*' || after === '{') break;
    text += char;
    if (after === '+') break;
    i = next;
  }
  return text;
}

/** Whether a `|` stands outside every group, in a pattern without classes or quotes. */
function hasTopLevelBar(pattern: string): boolean {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') i++;
    else if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === '|' && depth <= 0) return true;
  }
  return false;
}

/** A rough measure of how many actions a set admits, to keep the narrowest of several. */
export function width(key: ActionSet): number {
  const shortest = key.prefixes.reduce((min, p) => Math.min(min, p.length), Number.POSITIVE_INFINITY);
  return key.prefixes.length === 0 ? key.exact.size : 1e9 * key.prefixes.length - shortest + key.exact.size;
}

/** For an AND: each part's set bounds the whole, so the narrowest known one is kept. */
function narrowest(keys: ActionKey[]): ActionKey {
  let best: ActionKey = null;
  for (const key of keys) if (key !== null && (best === null || width(key) < width(best))) best = key;
  return best;
}

/** For an OR: the union of the parts' sets, unconstrained if any part is. */
export function union(keys: ActionKey[]): ActionKey {
  if (keys.some((key) => key === null)) return null;
  const prefixes = [...new Set(keys.flatMap((key) => (key as ActionSet).prefixes))]
    .sort((a, b) => a.length - b.length)
    .filter((p, i, all) => !all.slice(0, i).some((shorter) => p.startsWith(shorter)));
  const actions = keys.flatMap((key) => [...(key as ActionSet).exact]);
  return {
    exact: new Set(actions.filter((action) => !prefixes.some((p) => action.startsWith(p)))),
    prefixes,
  };
}
