/**
 * A policy file that cannot be loaded. The server refuses to start on one, and a hot reload
 * keeps the previous policy, so the message must let an operator fix the file without
 * guessing: `policies.yaml:12: rule "Auto-approve file reads": unknown operator "starts_with" on "action" (…)`.
 * The line (where the rule starts) goes in the message as `file:line:`, as compilers and
 * `policy check` warnings write it, so an editor or a terminal can jump there.
 */
export class PolicyLoadError extends Error {
  /** The file name given to the loader. */
  readonly file: string;
  /** The rule's name, `#<n>` (1-based position) when it has no usable name, null for file-level problems. */
  readonly rule: string | null;
  /** What is wrong, without the file and rule. */
  readonly reason: string;
  /** 1-based line in the file, when known. */
  readonly line: number | null;

  /** `rule` is the rule's name, or its 0-based position when it has no usable name. */
  constructor(file: string, rule: string | number | null, reason: string, line: number | null = null) {
    const label = typeof rule === 'number' ? `#${rule + 1}` : rule;
    const where = rule === null ? '' : `rule ${typeof rule === 'number' ? label : JSON.stringify(rule)}: `;
    super(`${file}${line === null ? '' : `:${line}`}: ${where}${reason}`);
    this.name = 'PolicyLoadError';
    this.file = file;
    this.rule = label;
    this.reason = reason;
    this.line = line;
  }
}

/** A problem inside one rule; the loader adds the file and rule and turns it into a PolicyLoadError. */
export class RuleError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RuleError';
  }
}

/** Readable, bounded rendering of a value for messages. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
