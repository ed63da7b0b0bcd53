import { buildRuleFinder, NO_RULE, undecidedPosition } from './action-index.ts';
import type { ActionKey } from './action-key.ts';
import type { Condition } from './conditions.ts';
import type { FieldKey } from './field-key.ts';
import type {
  Policy,
  PolicyEvaluation,
  PolicyExplanation,
  PolicyInput,
  PolicyRule,
  PolicyWarning,
  RuleExplanation,
} from './types.ts';

export interface CompiledRule {
  rule: PolicyRule;
  condition: Condition;
  /** The actions the rule can match, for the index (see action-key.ts); null = any. */
  actionKey: ActionKey;
  /**
   * For a rule without an action key, the other top-level strings it can match (field-key.ts);
   * null or absent = tried for every request.
   */
  fieldKey?: FieldKey;
}

/**
 * Builds the evaluator over compiled rules: highest priority first, ties in file order, first
 * match wins, no match denies (SPEC §4), in three-valued logic: a deny or require_approval rule
 * that the request's values cannot be compared against is applied when it is stricter than what
 * matches below it (see buildRuleFinder), and the evaluation says why (`reason`).
 *
 * Each rule's evaluation result is built once here, so `evaluate` allocates nothing on the
 * common path (the action index reuses its scratch); results and rules are frozen because they
 * are shared. Only a decision by an undecided rule builds its result, with the reason.
 * `explain` always scans every rule in order, since it must say why each earlier rule failed;
 * it applies the same decision procedure to explain()'s verdicts, so the two agree.
 */
export function createPolicy(
  version: string,
  compiled: readonly CompiledRule[],
  warnings: readonly PolicyWarning[] = [],
): Policy {
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
    ordered.map((c) => c.rule.decision),
    undefined,
    ordered.map((c) => c.fieldKey ?? null),
  );

  /** The result of a decision by rule `i`, which the request could not be compared against. */
  function undecided(i: number, unknown: readonly string[]): PolicyEvaluation {
    const { rule } = ordered[i] as CompiledRule;
    const reason = `${unknown.join('; ')} in rule ${JSON.stringify(rule.name)}`;
    return Object.freeze({ decision: rule.decision, rule, policyVersion: version, reason });
  }

  function evaluate(input: PolicyInput): PolicyEvaluation {
    const code = find(input);
    if (code >= 0) return results[code] as PolicyEvaluation;
    if (code === NO_RULE) return defaultDeny;
    const i = undecidedPosition(code);
    const unknown: string[] = [];
    (ordered[i] as CompiledRule).condition.explain(input, unknown);
    return undecided(i, unknown);
  }

  function explain(input: PolicyInput): PolicyExplanation {
    const evaluated: RuleExplanation[] = [];
    let held: { i: number; unknown: string[] } | null = null;
    for (const [i, { rule, condition }] of ordered.entries()) {
      const reasons: string[] = [];
      const t = condition.explain(input, reasons);
      evaluated.push({
        rule: rule.name,
        priority: rule.priority,
        matched: t === 2,
        failures: t === 0 ? reasons : [],
        ...(t === 1 ? { unknown: reasons } : {}),
      });
      if (t === 2) {
        const decided =
          held !== null && rule.decision === 'auto_approve'
            ? undecided(held.i, held.unknown)
            : (results[i] as PolicyEvaluation);
        return { ...decided, rules: evaluated };
      }
      if (t === 1 && rule.decision === 'deny') return { ...undecided(i, reasons), rules: evaluated };
      if (t === 1 && rule.decision === 'require_approval') held ??= { i, unknown: reasons };
    }
    return { ...defaultDeny, rules: evaluated };
  }

  return Object.freeze({ version, warnings: Object.freeze([...warnings]), rules, evaluate, explain });
}
