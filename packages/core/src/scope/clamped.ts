import { canonicalJson } from '../audit/canonical-json.ts';
import type { Scope } from '../types.ts';
import { classifyConstraint, normalizeExtension, patternList } from './convention.ts';

/** An interpreted constraint an approver asked for that the grant holds stricter. */
export interface ClampedKey {
  key: string;
  asked: unknown;
  granted: unknown;
}

/**
 * The keys of an approver's edit whose granted value is not what the approver asked: an edit
 * can only narrow, so asking for more than the request (or an earlier approver) allows is
 * kept at the stricter value. Saying so keeps a widening attempt from passing silently.
 * Uninterpreted keys are left out: an edit that changes one is refused, never clamped.
 */
export function clampedKeys(edit: Scope, granted: Scope): ClampedKey[] {
  const clamped: ClampedKey[] = [];
  for (const key of Object.keys(edit)) {
    const kind = classifyConstraint(key).kind;
    if (kind === 'unknown') continue;
    const asked = edit[key];
    const value = Object.hasOwn(granted, key) ? granted[key] : null;
    if (!sameValue(kind, asked, value)) clamped.push({ key, asked, granted: value });
  }
  return clamped;
}

/** Lists compare as sets (an intersection keeps the grant's order and spelling). */
function sameValue(kind: string, a: unknown, b: unknown): boolean {
  if (kind === 'pattern') {
    const [x, y] = [patternList(a), patternList(b)];
    if (x && y) return setKey(x, (v) => v) === setKey(y, (v) => v);
  }
  if ((kind === 'allowed' || kind === 'extensions') && Array.isArray(a) && Array.isArray(b)) {
    const normalize =
      kind === 'extensions'
        ? (v: unknown) => (typeof v === 'string' ? normalizeExtension(v) : v)
        : (v: unknown) => v;
    return setKey(a, normalize) === setKey(b, normalize);
  }
  return canonicalJson(a) === canonicalJson(b);
}

function setKey(values: readonly unknown[], normalize: (v: unknown) => unknown): string {
  return [...new Set(values.map((v) => canonicalJson(normalize(v))))].sort().join('\n');
}
