import type { Agent } from '@agent-otp/core';
import { duration } from '../views/format.ts';
import { ActionButton, CsrfField, Time } from '../views/parts.tsx';

/** The agents page's per-agent controls and cells: expiry, rotation with grace, the previous key. */

/** When an agent last acted, with any key, and with the previous key of a grace period. */
export interface LastUsed {
  any: number | null;
  previousKey: number | null;
}

const DAY_MS = 86_400_000;

/** "expires in 12 days", "expires in 5h 3m", "expired", or "never". */
export function expiryText(expiresAt: number | null, now: number): string {
  if (expiresAt === null) return 'never';
  const left = expiresAt - now;
  if (left <= 0) return 'expired';
  if (left >= 2 * DAY_MS) return `expires in ${Math.round(left / DAY_MS)} days`;
  return `expires in ${duration(Math.ceil(left / 1000))}`;
}

/** The grace periods the rotate form offers; the CLI and API take any duration up to 24h. */
const GRACE_CHOICES = [
  ['0', 'none: the old key stops at once'],
  ['10m', '10 minutes'],
  ['1h', '1 hour'],
  ['24h', '24 hours'],
] as const;

export function RotateForm({ agent, csrf }: { agent: Agent; csrf: string }) {
  return (
    <details class="inline-dialog rotate-dialog">
      <summary class="btn btn-small dialog-toggle">Rotate key…</summary>
      <form
        method="post"
        action={`/agents/${agent.id}/rotate`}
        data-confirm={`Rotate the key of ${agent.name}? The new key is shown once.`}
      >
        <CsrfField token={csrf} />
        <label>
          Old key stays valid for
          <select name="grace">
            {GRACE_CHOICES.map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </label>
        <button type="submit" class="btn btn-small btn-primary">
          Rotate
        </button>
      </form>
    </details>
  );
}

export function ExpiryForm({ agent, csrf }: { agent: Agent; csrf: string }) {
  return (
    <details class="inline-dialog expiry-dialog">
      <summary class="btn btn-small dialog-toggle">Expiry…</summary>
      <form method="post" action={`/agents/${agent.id}/expiry`}>
        <CsrfField token={csrf} />
        <label>
          Expires in (e.g. 30d, 12h)
          <input name="expiresIn" size={8} maxlength={20} placeholder="30d" />
        </label>
        <label>
          or at (ISO time)
          <input name="expiresAt" size={22} maxlength={40} placeholder="2030-01-31T00:00:00Z" />
        </label>
        <button type="submit" class="btn btn-small btn-primary">
          Set expiry
        </button>
      </form>
      {agent.expiresAt === null ? null : (
        <ActionButton action={`/agents/${agent.id}/expiry/clear`} csrf={csrf} label="Never expire" />
      )}
    </details>
  );
}

/** The key cell: its prefix, and a previous key still in its grace period with its last use. */
export function KeyCell({ agent, used, now }: { agent: Agent; used: LastUsed | undefined; now: number }) {
  const previous = agent.previousKey && agent.previousKey.expiresAt > now ? agent.previousKey : null;
  return (
    <>
      <span class="mono">{agent.keyPrefix}…</span>
      {previous ? (
        <div class="small previous-key">
          previous key <span class="mono">{previous.prefix}…</span> valid until{' '}
          <Time ms={previous.expiresAt} />, last used{' '}
          {used?.previousKey ? <Time ms={used.previousKey} /> : <span class="muted">not lately</span>}
        </div>
      ) : null}
    </>
  );
}
