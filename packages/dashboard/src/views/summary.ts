import { classifyConstraint, type Permission } from '@agent-otp/core';

/**
 * A plain-language line for a request ("invoice-bot wants to transfer up to 250,000 EUR from
 * account:acme-payroll"), built from the action, the resource and the scope convention
 * (packages/core/src/scope/convention.ts). It only reads; it never decides anything, so a
 * guess that reads oddly costs clarity, not safety: the exact scope is always shown beside it.
 */
export type Piece = string | { text: string; kind: 'amount' | 'count' | 'recipient' | 'resource' };

export interface Summary {
  pieces: Piece[];
  /** The same facts as chips: what an approver should not miss. */
  highlights: Array<{ label: string; text: string; kind: 'amount' | 'count' | 'recipient' | 'limit' }>;
}

/** Fields whose maximum is money: shown as an amount, with the currency when one is given. */
const MONEY_FIELDS = new Set(['amount', 'total', 'value', 'price', 'cost', 'sum', 'payment', 'spend']);
/** `allowed_<plural>` lists that name who or where something goes. */
const RECIPIENT_LISTS = new Set([
  'recipients',
  'emails',
  'addresses',
  'to',
  'payees',
  'destinations',
  'accounts',
  'channels',
  'domains',
  'numbers',
  'phones',
]);
const FROM_VERBS = new Set(['transfer', 'withdraw', 'pay', 'debit', 'charge', 'move', 'refund', 'spend']);
const TO_VERBS = new Set([
  'send',
  'email',
  'post',
  'message',
  'notify',
  'write',
  'upload',
  'push',
  'deploy',
  'publish',
]);
const LIST_SHOWN = 3;

const number = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 6 });

/** `bank.transfer` → `transfer`; `send_email` → `send email`; null when it does not read as words. */
function verbOf(action: string): string | null {
  const last = action.split(/[.:/]/).filter(Boolean).pop() ?? '';
  const words = last.replace(/[_-]+/g, ' ').trim();
  return /^[a-z][a-z ]{0,40}$/i.test(words) ? words.toLowerCase() : null;
}

function currencyOf(permission: Permission, scope: Record<string, unknown>): string | null {
  const candidates = [scope.currency, permission.context.currency];
  const allowed = scope.allowed_currencies;
  if (Array.isArray(allowed) && allowed.length === 1) candidates.push(allowed[0]);
  const found = candidates.find((c) => typeof c === 'string' && /^[A-Za-z]{3}$/.test(c));
  return typeof found === 'string' ? found.toUpperCase() : null;
}

function listText(values: unknown[]): string {
  const shown = values.slice(0, LIST_SHOWN).map(String).join(', ');
  return values.length > LIST_SHOWN ? `${shown} and ${values.length - LIST_SHOWN} more` : shown;
}

function countText(key: string, value: unknown): string | null {
  if (value === 'unlimited') return 'any number of times';
  if (typeof value !== 'number') return null;
  if (key === 'max_uses') return value === 1 ? 'once' : `up to ${number(value)} times`;
  const noun = key.slice('max_'.length);
  return `up to ${number(value)} ${value === 1 ? noun.replace(/s$/, '') : noun}`;
}

export function summarize(permission: Permission, agentName: string): Summary {
  const scope: Record<string, unknown> = permission.grantedScope ?? permission.requestedScope ?? {};
  const verb = verbOf(permission.action);
  const highlights: Summary['highlights'] = [];
  let amount: string | null = null;
  let upTo = true;
  let counts: string | null = null;
  let recipients: string | null = null;
  const currency = currencyOf(permission, scope);
  for (const [key, value] of Object.entries(scope)) {
    const kind = classifyConstraint(key);
    if (kind.kind === 'count') {
      const text = countText(key, value);
      if (text && key !== 'max_uses') counts = text;
      if (text) highlights.push({ label: key === 'max_uses' ? 'Uses' : 'Count', text, kind: 'count' });
    } else if (kind.kind === 'max' && typeof value === 'number') {
      if (MONEY_FIELDS.has(kind.field)) {
        const text = `${number(value)}${currency ? ` ${currency}` : ''}`;
        amount ??= text;
        highlights.push({ label: `Max ${kind.field}`, text, kind: 'amount' });
      } else {
        highlights.push({
          label: `Max ${kind.field.replace(/_/g, ' ')}`,
          text: number(value),
          kind: 'limit',
        });
      }
    } else if (kind.kind === 'allowed' && Array.isArray(value)) {
      const plural = key.slice('allowed_'.length);
      if (RECIPIENT_LISTS.has(plural)) {
        recipients ??= listText(value);
        highlights.push({ label: plural.replace(/_/g, ' '), text: listText(value), kind: 'recipient' });
      }
    }
  }
  // A request without a scoped maximum may still say how much in its context.
  const contextAmount = permission.context.amount;
  if (amount === null && typeof contextAmount === 'number') {
    amount = `${number(contextAmount)}${currency ? ` ${currency}` : ''}`;
    upTo = false;
    highlights.push({ label: 'Amount (context)', text: amount, kind: 'amount' });
  }

  const pieces: Piece[] = [`${agentName} wants to `];
  if (verb) pieces.push(verb);
  else pieces.push('perform ', { text: permission.action, kind: 'resource' });
  if (amount) pieces.push(upTo ? ' up to ' : ' ', { text: amount, kind: 'amount' });
  if (counts) pieces.push(' ', { text: counts, kind: 'count' });
  if (recipients) pieces.push(' to ', { text: recipients, kind: 'recipient' });
  if (permission.resource) {
    const preposition =
      verb && FROM_VERBS.has(verb) ? 'from' : verb && TO_VERBS.has(verb) && !recipients ? 'to' : 'on';
    pieces.push(` ${preposition} `, { text: permission.resource, kind: 'resource' });
  }
  return { pieces, highlights };
}
