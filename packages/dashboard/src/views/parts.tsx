import { type PolicyRisk, redactText } from '@agent-otp/core';
import type { Child } from 'hono/jsx';
import { duration, isEmpty, iso, prettyJson, showTime } from './format.ts';

/** A time the browser shows in its own time zone (app.js); UTC until the script runs. */
export const Time = ({ ms }: { ms: number }) => (
  <time datetime={iso(ms)} data-local="">
    {showTime(ms)}
  </time>
);

/** A live countdown to a deadline; app.js updates it every second. */
export const Deadline = ({ ms, now }: { ms: number; now: number }) => (
  <span class={`deadline${ms - now < 60_000 ? ' urgent' : ''}`} data-deadline={iso(ms)}>
    {ms > now ? `${duration((ms - now) / 1000)} left` : 'expired'}
  </span>
);

export const Json = ({ value, empty = 'none' }: { value: unknown; empty?: string }) =>
  isEmpty(value) ? <span class="muted">{empty}</span> : <pre class="json">{prettyJson(value)}</pre>;

export const Badge = ({ status }: { status: string }) => (
  <span class={`badge badge-${status}`}>{status}</span>
);

export const Alert = ({
  kind = 'error',
  children,
}: {
  kind?: 'error' | 'ok' | 'info' | 'warn';
  children: Child;
}) => (
  <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {/* Alerts show error messages, which may quote input: never echo a credential. */}
    {typeof children === 'string' ? redactText(children) : children}
  </div>
);

export const CsrfField = ({ token }: { token: string }) => <input type="hidden" name="_csrf" value={token} />;

/** A small POST form with one button (disable, enable, rotate…), CSRF included. */
export const ActionButton = (props: {
  action: string;
  csrf: string;
  label: string;
  kind?: string;
  confirm?: string;
}) => (
  <form method="post" action={props.action} class="inline" data-confirm={props.confirm}>
    <CsrfField token={props.csrf} />
    <button type="submit" class={`btn btn-small ${props.kind ?? ''}`}>
      {props.label}
    </button>
  </form>
);

/**
 * A secret shown exactly once (API key, password, personal token): it lives only in this
 * response, which is never cached (no-store), and nothing else ever renders it again.
 */
export const SecretOnce = ({ id, label, value }: { id: string; label: string; value: string }) => (
  <div class="secret">
    <label for={id}>{label}</label>
    <div class="secret-row">
      <input id={id} type="text" readonly value={value} class="mono" autocomplete="off" spellcheck={false} />
      <button type="button" class="btn" data-copy={id}>
        Copy
      </button>
    </div>
    <p class="muted small">Shown once. Store it now: it cannot be displayed again.</p>
  </div>
);

/** The risk a policy rule declares; nothing when it declares none. */
export const RiskBadge = ({ risk }: { risk: PolicyRisk | null }) =>
  risk ? (
    <span class={`badge risk risk-badge-${risk}`} title={`The policy rule marks this as ${risk} risk`}>
      {risk} risk
    </span>
  ) : null;

/** An id with a copy button (app.js); the id stays selectable text without the script. */
export const CopyId = ({ id }: { id: string }) => (
  <span class="copy-id">
    <code class="mono small">{id}</code>
    <button type="button" class="btn btn-small btn-ghost" data-copy-text={id} aria-label={`Copy ${id}`}>
      Copy
    </button>
  </span>
);
