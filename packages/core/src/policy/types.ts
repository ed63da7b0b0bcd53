import type { JsonObject, PolicyDecision, Scope, ScopeEnforcement } from '../types.ts';

/** What a policy sees of a permission request. Condition paths are dotted paths into this object. */
export interface PolicyInput {
  action: string;
  resource: string | null;
  scope: Scope;
  context: JsonObject;
  /** The agent's name. */
  agent: string;
  agentId: string;
}

export interface PolicyRule {
  name: string;
  /** Position in the file, 0-based; breaks priority ties. */
  index: number;
  priority: number;
  decision: PolicyDecision;
  scopeTemplate: Scope | null;
  /** Distinct approvers needed (require_approval only); default 1. */
  approvals: number;
  /** Seconds a pending request waits for a decision; null = the server default. */
  approvalTimeout: number | null;
  /** How `use` treats absent details of the granted scope; null = the server default. */
  enforcement: ScopeEnforcement | null;
  /**
   * The most uses a token of this rule may have: the rule's `maxUses`, else the uses its
   * template grants, else 1; null only when the template grants `max_uses: unlimited`. A request
   * asking for more is clamped to it.
   */
  maxUses: number | null;
  /** The longest token lifetime (seconds) of this rule; null = the server's maximum. */
  maxTtl: number | null;
  /** The rule's `description` from the file, for people. */
  description?: string;
}

export interface PolicyEvaluation {
  decision: PolicyDecision;
  /** The matching rule, or null when nothing matched (default deny). */
  rule: PolicyRule | null;
  policyVersion: string;
}

/** Why one rule did or did not match, for `policy explain` and the simulator. */
export interface RuleExplanation {
  rule: string;
  priority: number;
  matched: boolean;
  /** Human-readable reasons a rule failed, e.g. `action: "file.write" does not equal "file.read"`. */
  failures: string[];
}

export interface PolicyExplanation extends PolicyEvaluation {
  /** Every rule evaluated before (and including) the match, in evaluation order. */
  rules: RuleExplanation[];
}

export interface Policy {
  /** sha256 of the file content, hex, first 16 characters prefixed `pol_`. */
  version: string;
  /** Rules in evaluation order: highest priority first, ties in file order. */
  rules: readonly PolicyRule[];
  evaluate(input: PolicyInput): PolicyEvaluation;
  explain(input: PolicyInput): PolicyExplanation;
}
