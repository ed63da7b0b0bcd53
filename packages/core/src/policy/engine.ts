import { type ActionKey, buildRuleFinder } from './action-index.ts';
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
  /** What the rule requires of the action, for the index (see action-index.ts); null = nothing. */
  actionKey: ActionKey;
}

/**
 * Builds the evaluator over compiled rules: highest priority first, ties in file order, first
 * match wins, no match denies (SPEC §4). Each rule's evaluation result is built once here, so
 * `evaluate` allocates nothing (the action index reuses its scratch); results and rules are
 * frozen because they are shared.
 * `explain` always scans every rule in order, since it must say why each earlier rule failed.
 */
export function createPolicy(version: string, compiled: readonly CompiledRule[]): Policy {
  const ordered = [...compiled].sort(
    (a, b) => b.rule.priority - a.rule.priority || a.rule.index - b.rule.index,
  );
  const results: PolicyEvaluation[] = ordered.map((c) =>
    Object.freeze({ decision: c.rule.decision, rule: c.rule, policyVersion: version }),
  );
  const defaultDeny: PolicyEvaluation = Object.freeze({
    decision: 'deny',
    rule: null,
    policyVersion: version,
  });
  const rules = Object.freeze(ordered.map((c) => c.rule));
  const find = buildRuleFinder(
    ordered.map((c) => c.actionKey),
    ordered.map((c) => c.condition),
  );

  function evaluate(input: PolicyInput): PolicyEvaluation {
    const i = find(input);
    return i < 0 ? defaultDeny : (results[i] as PolicyEvaluation);
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
