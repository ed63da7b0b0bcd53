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

/** How much an approval under a rule can cost; `high` asks approvers to confirm. */
export const POLICY_RISKS = ['low', 'medium', 'high'] as const;
export type PolicyRisk = (typeof POLICY_RISKS)[number];

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
  /**
   * The rule's `risk` from the file, shown to approvers (high-risk approvals take a confirmation
   * step); null when the rule declares none.
   */
  risk: PolicyRisk | null;
  /** The rule's `description` from the file, for people. */
  description?: string;
}

export interface PolicyEvaluation {
  decision: PolicyDecision;
  /** The deciding rule, or null when nothing matched (default deny). */
  rule: PolicyRule | null;
  policyVersion: string;
  /**
   * Set only when the deciding rule (deny or require_approval) did not match but could not be
   * compared against the request's values, so it was applied rather than skipped: which values
   * and why, e.g. `context.amount: "5000" is not a number (greaterThan 1000) in rule "Big
   * transfers denied"`. Built from agent-supplied values: redact before storing in the audit.
   */
  reason?: string;
}

/** Why one rule did or did not match, for `policy explain` and the simulator. */
export interface RuleExplanation {
  rule: string;
  priority: number;
  /** The conditions held (TRUE). */
  matched: boolean;
  /** Human-readable reasons a rule failed, e.g. `action: "file.write" does not equal "file.read"`. */
  failures: string[];
  /**
   * Present when the conditions could be neither confirmed nor refuted (UNKNOWN): the values
   * that could not be compared. An auto_approve rule then does not match; a deny or
   * require_approval rule might, and is applied if it is stricter than what matches below it.
   */
  unknown?: string[];
}

export interface PolicyExplanation extends PolicyEvaluation {
  /** Every rule evaluated before (and including) the deciding one, in evaluation order. */
  rules: RuleExplanation[];
}

export interface Policy {
  /** sha256 of the file content, hex, first 16 characters prefixed `pol_`. */
  version: string;
  /** What `policy check` warns about in the file (see lint.ts); the policy loads regardless. */
  warnings: readonly PolicyWarning[];
  /** Rules in evaluation order: highest priority first, ties in file order. */
  rules: readonly PolicyRule[];
  evaluate(input: PolicyInput): PolicyEvaluation;
  explain(input: PolicyInput): PolicyExplanation;
}

/** A likely mistake in a valid policy file: reported by `policy check` and logged by the server. */
export interface PolicyWarning {
  code: 'UNANCHORED_MATCHES' | 'UNBOUND_CONTEXT';
  /** The rule's name. */
  rule: string;
  /** 1-based line of the rule in the file, when known. */
  line: number | null;
  message: string;
}
