import { readFileSync } from 'node:fs';
import { type JsonObject, type PolicyDecision, type PolicyInput, validateScope } from '@agent-otp/core';
import { isSeq, LineCounter, parseDocument } from 'yaml';
import { CliError } from './output.ts';

/**
 * The inputs of `policy explain` and `policy test`: a request as the policy sees it, and a file
 * of test cases. Both are validated strictly, because a typo that silently became "no
 * condition" would make a policy test pass for the wrong reason.
 */

const REQUEST_KEYS = ['action', 'resource', 'scope', 'context', 'agent', 'agentId'];
const CASE_KEYS = ['name', 'request', 'expect', 'rule'];
export const DECISIONS: readonly PolicyDecision[] = ['auto_approve', 'require_approval', 'deny'];

/** Stand-ins for the agent fields, so a request can be explained without a real agent. */
const EXAMPLE_AGENT = { agent: 'example-agent', agentId: 'agt_example' };

export interface PolicyCase {
  name: string;
  /** 1-based line of the case in its file. */
  line: number;
  input: PolicyInput;
  expect: PolicyDecision;
  /** The expected rule's name; null expects no rule to match (the default deny); undefined: not checked. */
  rule?: string | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** Reads a file for a command, turning "no such file" into one clear line. */
export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : String(code ?? error)}`,
    );
  }
}

/** Validates a request and fills in the defaults; errors start with `where`. */
export function parseRequest(raw: unknown, where: string): PolicyInput {
  const fail = (reason: string): never => {
    throw new CliError(`${where}: ${reason}`);
  };
  if (!isRecord(raw))
    return fail(`the request must be an object like {"action": "file.read"}, got ${show(raw)}`);
  const unknown = Object.keys(raw).filter((key) => !REQUEST_KEYS.includes(key));
  if (unknown.length > 0) fail(`unknown request key "${unknown[0]}" (known: ${REQUEST_KEYS.join(', ')})`);
  const { action, resource = null, scope = {}, context = {} } = raw;
  if (typeof action !== 'string' || action === '') fail('request.action must be a non-empty string');
  if (resource !== null && typeof resource !== 'string')
    fail(`request.resource must be a string, got ${show(resource)}`);
  // The server refuses an invalid scope before the policy runs, so explaining one would mislead.
  const checked = validateScope(scope, 'request');
  if (!checked.ok) {
    const first = checked.errors[0];
    fail(`request.scope is invalid: ${first?.path ? `${first.path}: ` : ''}${first?.message}`);
  }
  if (!isRecord(context)) fail(`request.context must be an object, got ${show(context)}`);
  for (const key of ['agent', 'agentId'] as const) {
    if (raw[key] !== undefined && (typeof raw[key] !== 'string' || raw[key] === '')) {
      fail(`request.${key} must be a non-empty string`);
    }
  }
  return {
    action: action as string,
    resource: resource as string | null,
    scope: scope as JsonObject,
    context: context as JsonObject,
    agent: (raw.agent as string | undefined) ?? EXAMPLE_AGENT.agent,
    agentId: (raw.agentId as string | undefined) ?? EXAMPLE_AGENT.agentId,
  };
}

/** Parses the JSON of `policy explain --request`. */
export function parseRequestJson(text: string): PolicyInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--request is not valid JSON: ${(error as Error).message}`);
  }
  return parseRequest(raw, '--request');
}

/** Parses a `policy test` cases file: a non-empty YAML list of {name, request, expect, rule?}. */
export function parseCases(text: string, file: string): PolicyCase[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: false, prettyErrors: false });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const { line, col } = lineCounter.linePos(problem.pos[0]);
    throw new CliError(`${file}: YAML error at line ${line}, column ${col}: ${problem.message}`);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (!Array.isArray(data) || !isSeq(doc.contents) || data.length === 0) {
    throw new CliError(`${file}: expected a non-empty list of cases (each starting with "- name: …")`);
  }
  const lines = doc.contents.items.map((node) => {
    const offset = (node as { range?: [number, number, number] } | null)?.range?.[0];
    return offset === undefined ? 1 : lineCounter.linePos(offset).line;
  });
  const names = new Set<string>();
  return data.map((raw: unknown, index) => {
    const line = lines[index] ?? 1;
    const named = isRecord(raw) && typeof raw.name === 'string' && raw.name.trim() !== '';
    const where = `${file}: case ${named ? show(raw.name) : `#${index + 1}`} (line ${line})`;
    const parsed = parseCase(raw, where, line);
    if (names.has(parsed.name)) throw new CliError(`${where}: duplicate case name`);
    names.add(parsed.name);
    return parsed;
  });
}

function parseCase(raw: unknown, where: string, line: number): PolicyCase {
  const fail = (reason: string): never => {
    throw new CliError(`${where}: ${reason}`);
  };
  if (!isRecord(raw)) return fail(`expected a map with name, request and expect, got ${show(raw)}`);
  const unknown = Object.keys(raw).filter((key) => !CASE_KEYS.includes(key));
  if (unknown.length > 0) fail(`unknown key "${unknown[0]}" (known: ${CASE_KEYS.join(', ')})`);
  if (typeof raw.name !== 'string' || raw.name.trim() === '') fail('"name" must be a non-empty string');
  if (raw.request === undefined) fail('missing "request"');
  const input = parseRequest(raw.request, where);
  if (!DECISIONS.includes(raw.expect as PolicyDecision)) {
    fail(`"expect" must be one of ${DECISIONS.join(', ')}, got ${show(raw.expect)}`);
  }
  const result: PolicyCase = { name: raw.name as string, line, input, expect: raw.expect as PolicyDecision };
  if (Object.hasOwn(raw, 'rule')) {
    // `rule: null` is how a case says "no rule matches" (the built-in default deny).
    if (raw.rule !== null && (typeof raw.rule !== 'string' || raw.rule === '')) {
      fail(`"rule" must be a rule name or null, got ${show(raw.rule)}`);
    }
    result.rule = raw.rule as string | null;
  }
  return result;
}
