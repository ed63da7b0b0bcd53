import type { Policy, PolicyDecision, PolicyExplanation } from '@agent-otp/core';
import type { PolicyCase } from './policy-cases.ts';

/** What a case expected or got: the decision, and the deciding rule (null: no rule matched). */
interface Outcome {
  decision: PolicyDecision;
  rule?: string | null;
}

export interface CaseResult {
  name: string;
  line: number;
  pass: boolean;
  expected: Outcome;
  actual: Outcome;
  /** For failures: why the expected rule did not decide, so the fix is visible without explain. */
  notes: string[];
}

export interface TestReport {
  ok: boolean;
  policyVersion: string;
  passed: number;
  failed: number;
  cases: CaseResult[];
}

/** Runs every case (not stopping at the first failure, so one run shows all of them). */
export function runCases(policy: Policy, cases: PolicyCase[]): TestReport {
  const results = cases.map((c): CaseResult => {
    const explanation = policy.explain(c.input);
    const actual: Outcome = { decision: explanation.decision, rule: explanation.rule?.name ?? null };
    const expected: Outcome =
      c.rule === undefined ? { decision: c.expect } : { decision: c.expect, rule: c.rule };
    const pass = actual.decision === expected.decision && (c.rule === undefined || actual.rule === c.rule);
    return {
      name: c.name,
      line: c.line,
      pass,
      expected,
      actual,
      notes: pass ? [] : whyNot(policy, explanation, c.rule),
    };
  });
  const failed = results.filter((r) => !r.pass).length;
  return {
    ok: failed === 0,
    policyVersion: policy.version,
    passed: results.length - failed,
    failed,
    cases: results,
  };
}

/** Why the expected rule was not the one that decided. */
function whyNot(
  policy: Policy,
  explanation: PolicyExplanation,
  expectedRule: string | null | undefined,
): string[] {
  if (typeof expectedRule !== 'string' || expectedRule === explanation.rule?.name) return [];
  const tried = explanation.rules.find((r) => r.rule === expectedRule);
  if (tried?.unknown) {
    return [`${JSON.stringify(expectedRule)} could not compare:`, ...tried.unknown.map((f) => `  ? ${f}`)];
  }
  if (tried && !tried.matched)
    return [`${JSON.stringify(expectedRule)} did not match:`, ...tried.failures.map((f) => `  - ${f}`)];
  if (tried) {
    return [
      `${JSON.stringify(expectedRule)} matched, but ${JSON.stringify(explanation.rule?.name)} above it ` +
        `might match and is stricter: ${explanation.reason ?? ''}`,
    ];
  }
  const rule = policy.rules.find((r) => r.name === expectedRule);
  if (!rule) return [`the policy has no rule named ${JSON.stringify(expectedRule)}`];
  const winner = explanation.rule;
  return [
    `${JSON.stringify(expectedRule)} (priority ${rule.priority}) was not reached: ` +
      `${JSON.stringify(winner?.name)} (priority ${winner?.priority}) matched first`,
  ];
}

const describe = (o: Outcome): string =>
  o.rule === undefined
    ? `${o.decision} (any rule)`
    : `${o.decision} by ${o.rule === null ? 'no rule (default deny)' : JSON.stringify(o.rule)}`;

/** The human report: PASS/FAIL per case, an expected/actual diff under each failure, a summary. */
export function testReport(file: string, report: TestReport): string {
  const lines: string[] = [];
  for (const r of report.cases) {
    lines.push(r.pass ? `PASS  ${r.name}` : `FAIL  ${r.name} (line ${r.line})`);
    if (r.pass) continue;
    lines.push(`      - expected: ${describe(r.expected)}`);
    lines.push(`      + actual:   ${describe({ ...r.actual, rule: r.actual.rule ?? null })}`);
    for (const note of r.notes) lines.push(`      ${note}`);
  }
  const total = report.cases.length;
  lines.push(
    `${total} case${total === 1 ? '' : 's'}: ${report.passed} passed, ${report.failed} failed ` +
      `(policy ${report.policyVersion}, ${file})`,
  );
  return lines.join('\n');
}
