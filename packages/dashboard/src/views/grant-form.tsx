import { canonicalJson, type Permission } from '@agent-otp/core';
import { allValues, type FormValues, lastValue } from '../http/form.ts';
import { duration, prettyJson } from './format.ts';
import {
  formatNumber,
  type GrantRow,
  grantField,
  grantRows,
  inputNumber,
  limitMessage,
} from './grant-rows.ts';

/** What the approver posted, shown again after the server refused it, with the field at fault. */
export interface GrantDraft {
  values: FormValues;
  /** The form field the error is about (`g.max_amount`, `ttl`, `scope`). */
  field?: string;
  message?: string;
}

/** Lists longer than this are shown read-only: a form of a thousand boxes helps nobody. */
const MAX_TICK_BOXES = 50;

function show(value: unknown): string {
  if (value === undefined) return 'not asked';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number'))
    return value.length === 0
      ? 'none'
      : value.map((v) => (typeof v === 'number' ? formatNumber(v) : v)).join(', ');
  return JSON.stringify(value);
}

/**
 * The approve form's scope section: one row per constraint, requested → granted, each input
 * prefilled with the most the approval may grant; then the token lifetime, and the whole scope
 * as JSON for what the rows cannot express. Plain form fields: it works without JavaScript, and
 * app.js only adds the live "cannot exceed…" hints.
 */
export function GrantForm({ permission: p, draft }: { permission: Permission; draft?: GrantDraft }) {
  const rows = grantRows(p);
  const prefix = `g-${p.id}`;
  const ttlError = draft?.field === 'ttl' ? draft.message : undefined;
  const scopeError = draft?.field === 'scope' ? draft.message : undefined;
  const ttlValue = lastValue(draft?.values.ttl) ?? String(p.ttlSeconds);
  return (
    <div class="grant">
      <p class="grant-intro muted small">
        Requested → granted. An approval can only narrow: lower a maximum, untick a recipient, add a pattern.
      </p>
      {rows.length === 0 ? <p class="muted small">The request asks for no constraints.</p> : null}
      {rows.map((row, i) => (
        <GrantRowView row={row} id={`${prefix}-${i}`} draft={draft} />
      ))}
      <div class="grant-row" data-control="ttl">
        <div class="grant-head">
          <label class="grant-key" for={`${prefix}-ttl`}>
            Token lifetime
          </label>
          <span class="grant-asked">
            requested <strong>{duration(p.ttlSeconds)}</strong>
          </span>
        </div>
        <div class="grant-to">
          <span class="grant-arrow" aria-hidden="true">
            →
          </span>
          <input
            id={`${prefix}-ttl`}
            name="ttl"
            value={ttlValue}
            inputmode="numeric"
            autocomplete="off"
            data-grant="ttl"
            data-limit={String(p.ttlSeconds)}
            data-limit-message={`cannot exceed the requested ${p.ttlSeconds} seconds`}
            aria-describedby={`${prefix}-ttl-error`}
            aria-invalid={ttlError ? 'true' : undefined}
          />
          <span class="grant-unit muted small">seconds (30–{p.ttlSeconds})</span>
        </div>
        <p class="grant-error" id={`${prefix}-ttl-error`} aria-live="polite">
          {ttlError ?? ''}
        </p>
      </div>
      <details class="advanced" open={scopeError !== undefined || hasEditedJson(p, draft)}>
        <summary>Advanced: the scope as JSON</summary>
        <label>
          Adds or narrows constraints the rows above cannot express; it can only narrow too.
          <textarea
            name="scope"
            rows={5}
            class="mono"
            spellcheck={false}
            aria-invalid={scopeError ? 'true' : undefined}
          >
            {lastValue(draft?.values.scope) ?? prettyJson(p.grantedScope ?? {})}
          </textarea>
        </label>
        {scopeError ? <p class="grant-error">{scopeError}</p> : null}
      </details>
    </div>
  );
}

function hasEditedJson(p: Permission, draft?: GrantDraft): boolean {
  const text = lastValue(draft?.values.scope);
  if (text === undefined) return false;
  try {
    return canonicalJson(JSON.parse(text)) !== canonicalJson(p.grantedScope ?? {});
  } catch {
    return true;
  }
}

function GrantRowView({ row, id, draft }: { row: GrantRow; id: string; draft?: GrantDraft }) {
  const field = grantField(row.key);
  const error = draft?.field === field ? draft.message : undefined;
  const posted = draft?.values[field];
  // A single pattern is a list of one: "^INV-" and ["^INV-"] are the same constraint.
  const asked =
    row.control === 'pattern' && typeof row.requested === 'string' ? [row.requested] : row.requested;
  const narrowedByPolicy = asked !== undefined && canonicalJson(asked) !== canonicalJson(row.limit);
  const fixed = row.control === 'fixed' || (row.control === 'list' && row.limit.length > MAX_TICK_BOXES);
  return (
    <div class="grant-row" data-control={fixed ? 'fixed' : row.control} data-key={row.key}>
      <div class="grant-head">
        {fixed || row.control === 'list' ? (
          <span class="grant-key mono">{row.key}</span>
        ) : (
          <label class="grant-key mono" for={id}>
            {row.key}
          </label>
        )}
        <span class="grant-asked">
          requested <strong>{show(row.requested)}</strong>
          {narrowedByPolicy ? (
            <>
              {' '}
              · policy allows <strong>{show(row.limit)}</strong>
            </>
          ) : null}
        </span>
      </div>
      {fixed ? (
        <p class="grant-fixed small">
          <span class="grant-arrow" aria-hidden="true">
            →
          </span>{' '}
          <code class="mono">{JSON.stringify(row.limit)}</code>{' '}
          <span class="muted">granted as it is (not a constraint the server checks; see Advanced)</span>
        </p>
      ) : (
        <RowControl row={row} id={id} field={field} posted={posted} error={error} />
      )}
      <p class="grant-error" id={`${id}-error`} aria-live="polite">
        {error ?? ''}
      </p>
    </div>
  );
}

function RowControl(props: {
  row: GrantRow;
  id: string;
  field: string;
  posted: string | string[] | undefined;
  error: string | undefined;
}) {
  const { row, id, field, posted, error } = props;
  const invalid = error ? 'true' : undefined;
  if (row.control === 'list') {
    // Ticked boxes send their index; the hidden empty value says the list was on the form, so
    // unticking every box is seen (and refused) rather than read as "not edited".
    const ticked = posted === undefined ? null : new Set(allValues(posted));
    return (
      <fieldset
        class="grant-ticks"
        data-field={field}
        aria-describedby={`${id}-error`}
        aria-invalid={invalid}
      >
        <legend class="visually-hidden">{row.key} to grant</legend>
        <input type="hidden" name={field} value="" />
        {row.limit.map((value, i) => (
          <label class="tick">
            <input
              type="checkbox"
              name={field}
              value={String(i)}
              checked={ticked ? ticked.has(String(i)) : true}
            />{' '}
            <span class="mono">{String(value)}</span>
          </label>
        ))}
      </fieldset>
    );
  }
  if (row.control === 'pattern') {
    return (
      <div class="grant-to">
        <span class="grant-arrow" aria-hidden="true">
          →
        </span>
        <input
          id={id}
          name={field}
          value={lastValue(posted) ?? ''}
          class="mono"
          autocomplete="off"
          spellcheck={false}
          placeholder="add a pattern that must also match (optional)"
          aria-describedby={`${id}-error`}
          aria-invalid={invalid}
        />
      </div>
    );
  }
  if (row.control === 'fixed') return null;
  const limit = row.limit === null ? 'unlimited' : String(row.limit);
  return (
    <div class="grant-to">
      <span class="grant-arrow" aria-hidden="true">
        →
      </span>
      <input
        id={id}
        name={field}
        value={lastValue(posted) ?? (row.limit === null ? 'unlimited' : inputNumber(row.limit))}
        inputmode={row.control === 'count' ? 'numeric' : 'decimal'}
        autocomplete="off"
        data-grant={row.control}
        data-limit={limit}
        data-limit-message={limitMessage(row)}
        aria-describedby={`${id}-error`}
        aria-invalid={invalid}
      />
    </div>
  );
}
