import { buildActionIndex } from './action-index.ts';
import type { Condition } from './conditions.ts';
import type {
  Policy,
  PolicyEvaluation,
  PolicyExplanation,
  PolicyInput,
  PolicyRule,
  RuleExplanation,
} from './types.ts';

export interface CompiledRule {
  rule: PolicyRule;
  condition: Condition;
  /** The actions the rule can match (see action-index.ts); null = any. */
  pinned: ReadonlySet<string> | null;
}

/**
 * Builds the evaluator over compiled rules: highest priority first, ties in file order, first
 * match wins, no match denies (SPEC §4). Each rule's evaluation result is built once here, so
 * `evaluate` allocates nothing; results and rules are frozen because they are shared.
 * `explain` always scans every rule in order, since it must say why each earlier rule failed.
 */
export function createPolicy(version: string, compiled: readonly CompiledRule[]): Policy {
  const ordered = [...compiled].sort(
    (a, b) => b.rule.priority - a.rule.priority || a.rule.index - b.rule.index,
  );
  const conditions = ordered.map((c) => c.condition);
  const results: PolicyEvaluation[] = ordered.map((c) =>
    Object.freeze({ decision: c.rule.decision, rule: c.rule, policyVersion: version }),
  );
  const defaultDeny: PolicyEvaluation = Object.freeze({
    decision: 'deny',
    rule: null,
    policyVersion: version,
  });
  const rules = Object.freeze(ordered.map((c) => c.rule));
  const index = buildActionIndex(ordered.map((c) => c.pinned));

  function scan(input: PolicyInput): PolicyEvaluation {
    for (let i = 0; i < conditions.length; i++) {
      if ((conditions[i] as Condition).test(input)) return results[i] as PolicyEvaluation;
    }
    return defaultDeny;
  }

  function evaluate(input: PolicyInput): PolicyEvaluation {
    if (index === null) return scan(input);
    const action = input.action;
    const candidates =
      (typeof action === 'string' ? index.byAction.get(action) : undefined) ?? index.unpinned;
    for (let k = 0; k < candidates.length; k++) {
      const i = candidates[k] as number;
      if ((conditions[i] as Condition).test(input)) return results[i] as PolicyEvaluation;
    }
    return defaultDeny;
  }

  function explain(input: PolicyInput): PolicyExplanation {
    const evaluated: RuleExplanation[] = [];
    for (const [i, { rule, condition }] of ordered.entries()) {
      const failures: string[] = [];
      const matched = condition.explain(input, failures);
      evaluated.push({ rule: rule.name, priority: rule.priority, matched, failures });
      if (matched) return { ...(results[i] as PolicyEvaluation), rules: evaluated };
    }
    return { ...defaultDeny, rules: evaluated };
  }

  return Object.freeze({ version, rules, evaluate, explain });
}
