import { AgentOtpError, narrowScope, type Permission, type Scope } from '@agent-otp/core';
import { type FormValues, lastValue } from '../http/form.ts';
import {
  formatNumber,
  type GrantRow,
  grantField,
  grantRows,
  limitMessage,
  parseNumber,
} from '../views/grant-rows.ts';

/**
 * Turns the approve form's per-constraint fields into the approver's scope edit: only the values
 * that differ from the limit are sent, so an untouched form is no narrowing at all. A value wider
 * than the limit is passed on as typed: the approval service clamps it and records the clamp,
 * which the page then reports. Text that is not a value of the constraint's kind is refused with
 * the field named, before anything is recorded.
 */
export function fieldEdit(permission: Permission, form: FormValues): Scope | undefined {
  const entries: [string, unknown][] = [];
  for (const row of grantRows(permission)) {
    const value = rowValue(row, form);
    if (value !== undefined) entries.push([row.key, value]);
  }
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** The fields' edit, narrowed further by an edited advanced JSON scope when there is one. */
export function combinedEdit(fields: Scope | undefined, json: Scope | undefined): Scope | undefined {
  if (fields && json) return narrowScope(fields, json);
  return fields ?? json;
}

function refuse(row: GrantRow, message: string): never {
  throw new AgentOtpError('VALIDATION_ERROR', `${row.key}: ${message}`, { field: grantField(row.key) });
}

function rowValue(row: GrantRow, form: FormValues): unknown {
  const raw = form[grantField(row.key)];
  if (raw === undefined) return undefined;
  switch (row.control) {
    case 'max':
    case 'min':
    case 'count':
      return numberValue(row, lastValue(raw) ?? '');
    case 'list':
      return listValue(row, Array.isArray(raw) ? raw : [raw]);
    case 'pattern': {
      const added = (lastValue(raw) ?? '').trim();
      // The existing patterns stay: every one must match, so adding one narrows.
      return added === '' || row.limit.includes(added) ? undefined : [...row.limit, added];
    }
    case 'fixed':
      return undefined;
  }
}

function numberValue(row: GrantRow & { control: 'max' | 'min' | 'count' }, text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (row.control === 'count' && trimmed.toLowerCase() === 'unlimited') {
    if (row.limit === null) return undefined;
    refuse(row, `${limitMessage(row)} (only a policy can grant unlimited uses)`);
  }
  const value = parseNumber(trimmed);
  if (value === null) refuse(row, `"${trimmed.slice(0, 40)}" is not a number (write 25000 or 25,000)`);
  if (row.control === 'count' && (!Number.isSafeInteger(value) || value < 1))
    refuse(row, `must be a whole number of at least 1, not ${formatNumber(value)}`);
  return value === row.limit ? undefined : value;
}

/** Ticked entries arrive as their index in the limit; the hidden "" marks the list as shown. */
function listValue(row: GrantRow & { control: 'list' }, values: string[]): unknown {
  const picked = new Set<number>();
  for (const value of values) {
    if (value === '') continue;
    const index = Number(value);
    if (!Number.isInteger(index) || index < 0 || index >= row.limit.length)
      refuse(row, 'a ticked entry is not one of the requested values; reload the page');
    picked.add(index);
  }
  if (picked.size === row.limit.length) return undefined;
  if (picked.size === 0) refuse(row, 'keep at least one entry ticked, or deny the request');
  return row.limit.filter((_, i) => picked.has(i));
}
