import type { DiffHunk } from '@agent-otp/core';

/** How many lines a diff adds and removes, for a one-line summary. */
export function diffCounts(hunks: readonly DiffHunk[]): { added: number; removed: number } {
  const lines = hunks.flatMap((h) => h.lines);
  return {
    added: lines.filter((l) => l.kind === 'add').length,
    removed: lines.filter((l) => l.kind === 'remove').length,
  };
}

/**
 * A unified diff. Added and removed lines are <ins> and <del> (which assistive technology
 * announces) and start with a visible + or −, so colour is never the only sign of a change.
 */
export const DiffView = ({ hunks, label }: { hunks: readonly DiffHunk[]; label: string }) =>
  hunks.length === 0 ? (
    <p class="muted small">No line changed.</p>
  ) : (
    <figure class="diff-figure" aria-label={label}>
      <pre class="diff">
        {hunks.map((h) => (
          <>
            <span class="diff-line diff-hunk">{`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`}</span>
            {h.lines.map((line) =>
              line.kind === 'add' ? (
                <ins class="diff-line diff-add">{`+ ${line.text}`}</ins>
              ) : line.kind === 'remove' ? (
                <del class="diff-line diff-remove">{`- ${line.text}`}</del>
              ) : (
                <span class="diff-line diff-context">{`  ${line.text}`}</span>
              ),
            )}
          </>
        ))}
      </pre>
    </figure>
  );
