/**
 * An upper estimate of the size of the RE2 program a pattern compiles to, read from its text
 * without compiling it.
 *
 * Why: RE2 expands counted repetition, so a short pattern can compile to a huge program —
 * `(abcdefghij…){1000}` is 212 characters and 200,000 instructions, and compiling it alone
 * takes ~100 ms. The exact size is known only after compiling; this estimate lets a pattern
 * be refused before that cost is paid. It follows RE2's syntax closely enough to be an upper
 * bound (a property test compares it with re2js's own count); anything it does not recognise
 * counts as one instruction, and a misread can only make it larger.
 */
export function estimateProgramSize(pattern: string): number {
  const scan = { text: pattern, at: 0 };
  let size = alternation(scan);
  // A stray ")" is a syntax error RE2 reports itself; keep scanning so nothing is skipped.
  while (scan.at < pattern.length) {
    scan.at += 1;
    size += alternation(scan);
  }
  // The program's own frame: a fail and a match instruction.
  return size + 2;
}

interface Scan {
  text: string;
  at: number;
}

/** `a|b|c` up to a closing ")" or the end: the branches plus one split per extra branch. */
function alternation(scan: Scan): number {
  let size = sequence(scan);
  while (scan.text[scan.at] === '|') {
    scan.at += 1;
    size += sequence(scan) + 1;
  }
  return size;
}

function sequence(scan: Scan): number {
  let size = 0;
  let last = 0;
  while (scan.at < scan.text.length) {
    const c = scan.text[scan.at];
    if (c === '|' || c === ')') break;
    const repeated = repetition(scan, last);
    if (repeated !== null) {
      size += repeated - last;
      last = repeated;
      continue;
    }
    last = atom(scan);
    size += last;
  }
  // An empty sequence (an empty branch or group) still compiles to one empty-match instruction.
  return Math.max(size, 1);
}

const COUNTED = /^\{(\d+)(,(\d*))?\}/;

/**
 * A quantifier after an atom of size `last`: its new size, or null when none is here. Generous
 * on purpose: `x{n,m}` is counted as m copies of x, each with a split.
 */
function repetition(scan: Scan, last: number): number | null {
  const c = scan.text[scan.at];
  let size: number;
  if (c === '*' || c === '+' || c === '?') {
    scan.at += 1;
    size = last + 2;
  } else if (c === '{') {
    const counted = COUNTED.exec(scan.text.slice(scan.at, scan.at + 24));
    if (!counted) return null; // RE2 reads a "{" that starts no valid count as a literal.
    scan.at += counted[0].length;
    const min = Number(counted[1]);
    const max = counted[2] === undefined ? min : counted[3] === '' ? min + 1 : Number(counted[3]);
    size = Math.max(min, max, 1) * (last + 1);
  } else {
    return null;
  }
  if (scan.text[scan.at] === '?') scan.at += 1; // non-greedy: same size
  return size;
}

function atom(scan: Scan): number {
  const c = scan.text[scan.at];
  if (c === '(') return group(scan);
  if (c === '[') {
    skipClass(scan);
    return 1;
  }
  if (c === '\\') return readEscape(scan);
  scan.at += 1;
  return 1;
}

/** A group; `(?flags)` alone is no atom, a capturing group adds its two capture instructions. */
function group(scan: Scan): number {
  const { text } = scan;
  scan.at += 1;
  let capture = 2;
  if (text[scan.at] === '?') {
    const named = /^\?P?<\w+>/.exec(text.slice(scan.at, scan.at + 300));
    const flags = /^\?[A-Za-z-]*([:)])/.exec(text.slice(scan.at, scan.at + 40));
    if (named) {
      scan.at += named[0].length;
    } else if (flags?.[1] === ')') {
      scan.at += flags[0].length;
      return 0;
    } else if (flags) {
      scan.at += flags[0].length;
      capture = 0;
    }
  }
  const inner = alternation(scan);
  if (text[scan.at] === ')') scan.at += 1;
  return inner + capture;
}

/** Skips `[...]`: a "]" first (after an optional "^") is a literal, `[:name:]` and escapes are one unit. */
function skipClass(scan: Scan): void {
  const { text } = scan;
  scan.at += 1;
  if (text[scan.at] === '^') scan.at += 1;
  if (text[scan.at] === ']') scan.at += 1;
  while (scan.at < text.length && text[scan.at] !== ']') {
    if (text[scan.at] === '\\') {
      readEscape(scan, true);
    } else if (text.startsWith('[:', scan.at)) {
      const end = text.indexOf(':]', scan.at + 2);
      scan.at = end === -1 ? scan.at + 1 : end + 2;
    } else {
      scan.at += 1;
    }
  }
  scan.at += 1;
}

/**
 * An escape: one instruction, or one per character of a `\Q…\E` literal (outside classes only:
 * RE2 refuses `\Q` inside one).
 */
function readEscape(scan: Scan, inClass = false): number {
  const { text } = scan;
  const kind = text[scan.at + 1];
  scan.at += 2;
  if (kind === 'Q' && !inClass) {
    const end = text.indexOf('\\E', scan.at);
    const literal = (end === -1 ? text.length : end) - scan.at;
    scan.at = end === -1 ? text.length : end + 2;
    return Math.max(literal, 1);
  }
  if ((kind === 'p' || kind === 'P' || kind === 'x') && text[scan.at] === '{') {
    const end = text.indexOf('}', scan.at);
    scan.at = end === -1 ? text.length : end + 1;
  } else if (kind === 'p' || kind === 'P') {
    scan.at += 1;
  } else if (kind === 'x') {
    scan.at += 2;
  }
  return 1;
}
