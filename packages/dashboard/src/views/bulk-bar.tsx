import { CsrfField } from './parts.tsx';

/**
 * The inbox's bulk decision form. The low-risk cards' checkboxes belong to it through their
 * `form="bulk-form"` attribute, so it works as a plain form post; app.js adds "select all
 * low-risk", the selected count, and keeps the ticks across live re-renders.
 */
export function BulkBar({ csrf }: { csrf: string }) {
  return (
    <form id="bulk-form" method="post" action="/requests/bulk" class="bulk card">
      <CsrfField token={csrf} />
      <div class="bulk-row">
        <label class="bulk-all" hidden>
          <input type="checkbox" id="bulk-all" /> Select all low-risk
        </label>
        <span class="muted small" id="bulk-count">
          Tick low-risk requests to decide them together.
        </span>
      </div>
      <div class="bulk-row">
        <input
          name="reason"
          maxlength={500}
          placeholder="Note or reason for all selected (optional)"
          aria-label="Note or reason for all selected"
        />
        <button type="submit" name="decision" value="approve" class="btn btn-approve">
          Approve selected
        </button>
        <button type="submit" name="decision" value="deny" class="btn btn-deny">
          Deny selected
        </button>
      </div>
    </form>
  );
}
