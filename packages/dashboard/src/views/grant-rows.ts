import { classifyConstraint, type Permission } from '@agent-otp/core';

/**
 * One row of the approve form: a constraint of the scope to be granted, what the agent asked
 * for, and the most an approval may grant (`limit`: the request as the policy template narrowed
 * it). The approver's value can only narrow the limit; the server clamps anything wider.
 *
 * - `max` / `count`: a number that may be lowered (`count` is a whole number of uses; `null`
 *   is an unlimited `max_uses`, which only a policy template grants);
 * - `min`: a number that may be raised;
 * - `list`: allowed values (recipients, extensions…) that may be unticked;
 * - `pattern`: regular expressions that all must match; one more may be added;
 * - `fixed`: a constraint the server does not interpret (or a malformed value): shown, granted
 *   as it is, changeable only through the advanced JSON edit.
 */
export type GrantRow = { key: string; requested: unknown } & (
  | { control: 'max' | 'min'; limit: number }
  | { control: 'count'; limit: number | null }
  | { control: 'list'; limit: Array<string | number> }
  | { control: 'pattern'; limit: string[] }
  | { control: 'fixed'; limit: unknown }
);

/** The name of a row's form field: `g.` and the scope key (any string a scope may hold). */
export const grantField = (key: string) => `g.${key}`;

/** The rows for a pending request, in the order of its scope. */
export function grantRows(permission: Permission): GrantRow[] {
  const limitScope = permission.grantedScope ?? permission.requestedScope ?? {};
  return Object.entries(limitScope).map(([key, limit]) => {
    const requested = Object.hasOwn(permission.requestedScope, key)
      ? permission.requestedScope[key]
      : undefined;
    return { key, requested, ...controlFor(key, limit) } as GrantRow;
  });
}

function controlFor(key: string, limit: unknown): Omit<GrantRow, 'key' | 'requested'> {
  const fixed = { control: 'fixed', limit } as const;
  switch (classifyConstraint(key).kind) {
    case 'count':
      if (key === 'max_uses' && limit === 'unlimited') return { control: 'count', limit: null };
      return isWhole(limit) ? { control: 'count', limit } : fixed;
    case 'max':
      return isAmount(limit) ? { control: 'max', limit } : fixed;
    case 'min':
      return isAmount(limit) ? { control: 'min', limit } : fixed;
    case 'extensions':
    case 'allowed':
      return Array.isArray(limit) && limit.every((v) => typeof v === 'string' || typeof v === 'number')
        ? { control: 'list', limit }
        : fixed;
    case 'pattern':
      if (typeof limit === 'string') return { control: 'pattern', limit: [limit] };
      return Array.isArray(limit) && limit.length > 0 && limit.every((p) => typeof p === 'string')
        ? { control: 'pattern', limit }
        : fixed;
    case 'unknown':
      return fixed;
  }
}

const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

/** `25,000`; `1,234.5`. The same spelling the summary line uses. */
export const formatNumber = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 6 });

/** A number as the input shows it: grouped when that reads back exactly, else as JavaScript spells it. */
export function inputNumber(n: number): string {
  const grouped = formatNumber(n);
  return parseNumber(grouped) === n ? grouped : String(n);
}

/**
 * What an approver may type for a number: digits with an optional decimal point, thousands
 * grouped by commas (`25,000`), spaces and underscores ignored. A comma anywhere else is refused
 * rather than guessed at: `2,5` could mean 2.5 or 25. null when the text is not such a number.
 * app.js reads numbers by the same rule.
 */
export function parseNumber(text: string): number | null {
  const compact = text.replace(/[\s_]/g, '');
  if (!/^(\d+|\d{1,3}(,\d{3})+)(\.\d+)?(e[+-]?\d+)?$/i.test(compact)) return null;
  const value = Number(compact.replace(/,/g, ''));
  return Number.isFinite(value) ? value : null;
}

/** "cannot exceed the requested 25,000": the message app.js shows and the server gives. */
export function limitMessage(row: GrantRow): string {
  const asked = row.requested;
  const limit = row.limit;
  const shown = typeof limit === 'number' ? formatNumber(limit) : 'unlimited';
  const fromRequest = typeof asked === 'number' && asked === limit;
  if (row.control === 'min')
    return fromRequest
      ? `cannot be below the requested ${shown}`
      : `cannot be below ${shown}, the policy's minimum`;
  return fromRequest
    ? `cannot exceed the requested ${shown}`
    : `cannot exceed ${shown}, the most the policy allows`;
}
