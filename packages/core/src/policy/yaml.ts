import { isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { PolicyLoadError } from './errors.ts';

export interface ParsedPolicyFile {
  /** The top-level list, or [] for an empty file. */
  items: unknown[];
  /** 1-based line where each item starts. */
  lines: number[];
}

/**
 * Aliases resolve to shared objects, but every alias is walked again when the rules are
 * compiled; the yaml library's budget (uses of an anchor × aliases inside it) bounds that work,
 * so a "billion laughs" file is refused instead of exhausting the CPU. 1000 still lets a large
 * file share a scopeTemplate by anchor across many rules.
 */
const MAX_ALIAS_COUNT = 1000;

/**
 * Parses a policy file's YAML strictly: syntax errors, duplicate keys, unknown tags (warnings
 * to the yaml library) and non-string keys all refuse the file, with their line. Merge keys
 * (`<<`) are off, so they surface as unknown rule keys.
 */
export function parsePolicyYaml(text: string, file: string): ParsedPolicyFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
    schema: 'core',
  });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const { line, col } = lineCounter.linePos(problem.pos[0]);
    throw new PolicyLoadError(
      file,
      null,
      `YAML error at line ${line}, column ${col}: ${problem.message}`,
      line,
    );
  }
  let badKey: number | null = null;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string') return undefined;
      badKey = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  if (badKey !== null) {
    const { line, col } = lineCounter.linePos(badKey);
    throw new PolicyLoadError(file, null, `map keys must be strings (line ${line}, column ${col})`, line);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof ReferenceError) {
      throw new PolicyLoadError(file, null, `YAML aliases expand too much (${error.message})`);
    }
    throw error;
  }
  if (data === null || data === undefined) return { items: [], lines: [] };
  if (!Array.isArray(data) || !isSeq(doc.contents)) {
    throw new PolicyLoadError(
      file,
      null,
      'the file must be a list of rules (each starting with "- name: …")',
      1,
    );
  }
  const lines = doc.contents.items.map((node) => {
    const offset = (node as { range?: [number, number, number] } | null)?.range?.[0];
    return offset === undefined ? 1 : lineCounter.linePos(offset).line;
  });
  return { items: data, lines };
}
