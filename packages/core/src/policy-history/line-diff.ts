/**
 * A line-based diff in unified-diff hunks, written here so that policy history needs no
 * dependency. The common prefix and suffix are skipped first (an edit of a policy file usually
 * touches a few lines), then the longest common subsequence of the rest is found by dynamic
 * programming. Above MAX_CELLS of table the middle is shown as removed and re-added instead:
 * still a correct diff, only a longer one, and bounded time and memory for any input.
 */

export type DiffLineKind = 'context' | 'add' | 'remove';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

/** One hunk. Starts are 1-based; with no lines on a side, its start is the line before (0 at the top). */
export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

const MAX_CELLS = 4_000_000;

/**
 * Lines of a text, split on "\n" only: joining them with "\n" gives the text back exactly. The
 * empty text has no lines (not one empty line), so a first version's diff only adds.
 */
export const splitLines = (text: string): string[] => (text === '' ? [] : text.split('\n'));

/** Every line of both texts, in order, as context, removed or added. */
export function diffScript(oldLines: readonly string[], newLines: readonly string[]): DiffLine[] {
  let prefix = 0;
  while (prefix < oldLines.length && prefix < newLines.length && oldLines[prefix] === newLines[prefix])
    prefix++;
  let suffix = 0;
  while (
    suffix < oldLines.length - prefix &&
    suffix < newLines.length - prefix &&
    oldLines[oldLines.length - 1 - suffix] === newLines[newLines.length - 1 - suffix]
  )
    suffix++;
  const a = oldLines.slice(prefix, oldLines.length - suffix);
  const b = newLines.slice(prefix, newLines.length - suffix);
  const context = (lines: readonly string[]) => lines.map((text): DiffLine => ({ kind: 'context', text }));
  return [
    ...context(oldLines.slice(0, prefix)),
    ...middle(a, b),
    ...context(oldLines.slice(oldLines.length - suffix)),
  ];
}

function middle(a: readonly string[], b: readonly string[]): DiffLine[] {
  const removed = a.map((text): DiffLine => ({ kind: 'remove', text }));
  const added = b.map((text): DiffLine => ({ kind: 'add', text }));
  if (a.length === 0 || b.length === 0 || (a.length + 1) * (b.length + 1) > MAX_CELLS) {
    return [...removed, ...added];
  }
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * width + j + 1] as number) + 1
          : Math.max(lcs[(i + 1) * width + j] as number, lcs[i * width + j + 1] as number);
    }
  }
  const script: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      script.push({ kind: 'context', text: a[i] as string });
      i++;
      j++;
    } else if ((lcs[(i + 1) * width + j] as number) >= (lcs[i * width + j + 1] as number)) {
      script.push({ kind: 'remove', text: a[i++] as string });
    } else {
      script.push({ kind: 'add', text: b[j++] as string });
    }
  }
  while (i < a.length) script.push({ kind: 'remove', text: a[i++] as string });
  while (j < b.length) script.push({ kind: 'add', text: b[j++] as string });
  return script;
}

/** The changes between two texts as hunks with `context` unchanged lines around each change. */
export function diffLines(oldText: string, newText: string, context = 3): DiffHunk[] {
  const script = diffScript(splitLines(oldText), splitLines(newText));
  const changed = script.map((line, index) => (line.kind === 'context' ? -1 : index)).filter((i) => i >= 0);
  if (changed.length === 0) return [];
  // Group changes whose context windows touch or overlap into one hunk.
  const groups: { from: number; to: number }[] = [];
  for (const index of changed) {
    const from = Math.max(0, index - context);
    const to = Math.min(script.length - 1, index + context);
    const last = groups[groups.length - 1];
    if (last && from <= last.to + 1) last.to = to;
    else groups.push({ from, to });
  }
  // Line numbers before each script position, on both sides.
  const oldBefore: number[] = [];
  const newBefore: number[] = [];
  let o = 0;
  let n = 0;
  for (const line of script) {
    oldBefore.push(o);
    newBefore.push(n);
    if (line.kind !== 'add') o++;
    if (line.kind !== 'remove') n++;
  }
  return groups.map(({ from, to }) => {
    const lines = script.slice(from, to + 1);
    const oldCount = lines.filter((l) => l.kind !== 'add').length;
    const newCount = lines.filter((l) => l.kind !== 'remove').length;
    const oldAt = oldBefore[from] as number;
    const newAt = newBefore[from] as number;
    return {
      oldStart: oldCount === 0 ? oldAt : oldAt + 1,
      oldLines: oldCount,
      newStart: newCount === 0 ? newAt : newAt + 1,
      newLines: newCount,
      lines,
    };
  });
}

/**
 * The new text from the old one and its hunks. Throws when a hunk does not fit the old text
 * (a context or removed line differs), so a wrong diff can never pass silently.
 */
export function applyHunks(oldText: string, hunks: readonly DiffHunk[]): string {
  const old = splitLines(oldText);
  const out: string[] = [];
  let at = 0;
  for (const hunk of hunks) {
    const start = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    if (start < at || start > old.length) throw new Error(`hunk at line ${hunk.oldStart} is out of order`);
    out.push(...old.slice(at, start));
    at = start;
    for (const line of hunk.lines) {
      if (line.kind === 'add') {
        out.push(line.text);
        continue;
      }
      if (old[at] !== line.text) throw new Error(`hunk does not match line ${at + 1}`);
      if (line.kind === 'context') out.push(line.text);
      at++;
    }
  }
  out.push(...old.slice(at));
  return out.join('\n');
}

const MARK: Record<DiffLineKind, string> = { context: ' ', add: '+', remove: '-' };

/** The hunks as the text of a unified diff (`diff -u`, `git diff`), with its two file labels. */
export function formatUnifiedDiff(hunks: readonly DiffHunk[], fromLabel: string, toLabel: string): string {
  const out = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  for (const h of hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    for (const line of h.lines) out.push(`${MARK[line.kind]}${line.text}`);
  }
  return `${out.join('\n')}\n`;
}
