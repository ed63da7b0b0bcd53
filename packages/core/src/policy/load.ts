import { createHash } from 'node:crypto';
import { COUNT_KEYS } from '../scope/convention.ts';
import { usesAllowed } from '../scope/narrow.ts';
import { validateScope } from '../scope/validate.ts';
import { type PolicyDecision, SCOPE_ENFORCEMENTS, type Scope, type ScopeEnforcement } from '../types.ts';
import { actionKey } from './action-key.ts';
import { compileConditions } from './conditions.ts';
import { type CompiledRule, createPolicy } from './engine.ts';
import { PolicyLoadError, RuleError, show } from './errors.ts';
import { fieldKey } from './field-key.ts';
import { lintRule } from './lint.ts';
import { POLICY_RISKS, type Policy, type PolicyRisk, type PolicyRule, type PolicyWarning } from './types.ts';
import { parsePolicyYaml } from './yaml.ts';

const RULE_KEYS = [
  'name',
  'description',
  'conditions',
  'action',
  'priority',
  'scopeTemplate',
  'approvals',
  'approvalTimeout',
  'enforcement',
  'maxUses',
  'maxTtl',
  'risk',
];
const DECISIONS: readonly PolicyDecision[] = ['auto_approve', 'require_approval', 'deny'];
const MAX_NAME_LENGTH = 200;

interface IntegerRange {
  min: number;
  max: number;
  /** How the range reads in an error. */
  words: string;
}
const PRIORITY: IntegerRange = {
  min: Number.MIN_SAFE_INTEGER,
  max: Number.MAX_SAFE_INTEGER,
  words: 'an integer',
};
const APPROVALS: IntegerRange = { min: 1, max: Number.MAX_SAFE_INTEGER, words: 'an integer ≥ 1' };
const APPROVAL_TIMEOUT: IntegerRange = {
  min: 10,
  max: 86_400,
  words: 'an integer from 10 to 86400 (seconds)',
};
const MAX_USES: IntegerRange = { min: 1, max: Number.MAX_SAFE_INTEGER, words: 'an integer ≥ 1' };
/** The global token lifetime bounds of SPEC §3 (TTL_BOUNDS): a rule can only lower the maximum. */
const MAX_TTL: IntegerRange = { min: 30, max: 3600, words: 'an integer from 30 to 3600 (seconds)' };

/** `pol_` + the first 16 hex characters of the file's sha256: recorded with every decision. */
export function policyVersion(text: string): string {
  return `pol_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/**
 * Loads a policy file (SPEC §4). Strict: anything it does not understand is a PolicyLoadError
 * naming the file, the rule and the reason, never a rule that silently matches everything or
 * nothing. An empty file is a valid policy that denies everything.
 */
export function loadPolicy(text: string, fileName: string): Policy {
  const { items, lines } = parsePolicyYaml(text, fileName);
  const seen = new Map<string, number>();
  const compiled = items.map((raw, index): CompiledRule => {
    const label = ruleLabel(raw, index);
    try {
      const rule = compileRule(raw, index);
      const earlier = seen.get(rule.rule.name);
      if (earlier !== undefined) throw new RuleError(`duplicate rule name (rule #${earlier + 1} has it too)`);
      seen.set(rule.rule.name, index);
      return rule;
    } catch (error) {
      if (error instanceof RuleError)
        throw new PolicyLoadError(fileName, label, error.message, lines[index] ?? null);
      throw error;
    }
  });
  const warnings: PolicyWarning[] = compiled.flatMap((c, index) =>
    lintRule(items[index], c.rule, lines[index] ?? null),
  );
  return createPolicy(policyVersion(text), compiled, warnings);
}

export type PolicyCheck = { ok: true; policy: Policy } | { ok: false; error: PolicyLoadError };

/** loadPolicy as a value, for hot reload and `policy check`: a bad file is an expected outcome there. */
export function checkPolicyText(text: string, fileName: string): PolicyCheck {
  try {
    return { ok: true, policy: loadPolicy(text, fileName) };
  } catch (error) {
    if (error instanceof PolicyLoadError) return { ok: false, error };
    throw error;
  }
}

/** The name to blame in an error: the rule's name when it has a usable one, else its position. */
function ruleLabel(raw: unknown, index: number): string | number {
  const name = isRecord(raw) ? raw.name : undefined;
  return typeof name === 'string' && name.trim() !== '' && name.length <= MAX_NAME_LENGTH ? name : index;
}

function compileRule(raw: unknown, index: number): CompiledRule {
  if (!isRecord(raw))
    throw new RuleError(`expected a map with name, conditions and action, got ${show(raw)}`);
  const unknown = Object.keys(raw).filter((key) => !RULE_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new RuleError(
      `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${RULE_KEYS.join(', ')})`,
    );
  }
  const name = ruleName(raw.name);
  const decision = ruleDecision(raw.action);
  if (!Object.hasOwn(raw, 'conditions'))
    throw new RuleError('missing "conditions" (use {} to match every request)');
  const condition = compileConditions(raw.conditions, '');
  if (raw.description !== undefined && typeof raw.description !== 'string') {
    throw new RuleError(`description must be a string, got ${show(raw.description)}`);
  }
  const template = scopeTemplate(raw.scopeTemplate, decision);
  const rule: PolicyRule = {
    name,
    index,
    priority: optionalInteger(raw.priority, 'priority', PRIORITY) ?? 0,
    decision,
    scopeTemplate: template,
    approvals: approvalSetting(raw.approvals, 'approvals', decision, APPROVALS) ?? 1,
    approvalTimeout: approvalSetting(raw.approvalTimeout, 'approvalTimeout', decision, APPROVAL_TIMEOUT),
    enforcement: enforcementSetting(raw.enforcement, decision),
    maxUses: maxUsesSetting(raw.maxUses, decision, template),
    maxTtl: grantSetting(raw.maxTtl, 'maxTtl', decision, MAX_TTL),
    risk: riskSetting(raw.risk),
  };
  if (typeof raw.description === 'string') rule.description = raw.description;
  const key = actionKey(raw.conditions);
  // Only a rule the action cannot pin needs the other fields (field-key.ts).
  return {
    rule: Object.freeze(rule),
    condition,
    actionKey: key,
    fieldKey: key === null ? fieldKey(raw.conditions) : null,
  };
}

function ruleName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new RuleError('"name" must be a non-empty string');
  if (value.length > MAX_NAME_LENGTH)
    throw new RuleError(`"name" is longer than ${MAX_NAME_LENGTH} characters`);
  return value;
}

function ruleDecision(value: unknown): PolicyDecision {
  if (value === undefined) throw new RuleError(`missing "action" (one of ${DECISIONS.join(', ')})`);
  if (!DECISIONS.includes(value as PolicyDecision)) {
    throw new RuleError(`"action" must be one of ${DECISIONS.join(', ')}, got ${show(value)}`);
  }
  return value as PolicyDecision;
}

function optionalInteger(value: unknown, key: string, range: IntegerRange): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new RuleError(`"${key}" must be ${range.words}, got ${show(value)}`);
  }
  return value;
}

/** Quorum and timeout only mean something while a request waits for humans. */
function approvalSetting(
  value: unknown,
  key: string,
  decision: PolicyDecision,
  range: IntegerRange,
): number | null {
  if (value !== undefined && decision !== 'require_approval') {
    throw new RuleError(`"${key}" only applies to require_approval rules (this rule is ${decision})`);
  }
  return optionalInteger(value, key, range);
}

/** Settings of what a rule grants (uses, lifetime) mean nothing on a deny rule. */
function grantSetting(
  value: unknown,
  key: string,
  decision: PolicyDecision,
  range: IntegerRange,
): number | null {
  if (value !== undefined && decision === 'deny')
    throw new RuleError(`"${key}" has no effect on a deny rule`);
  return optionalInteger(value, key, range);
}

/**
 * The use bound of a rule (see PolicyRule.maxUses). A template that grants more than the rule's
 * own `maxUses`, or unlimited uses next to it, contradicts it: refused rather than guessed at.
 */
function maxUsesSetting(value: unknown, decision: PolicyDecision, template: Scope | null): number | null {
  const explicit = grantSetting(value, 'maxUses', decision, MAX_USES);
  const counted = template !== null && COUNT_KEYS.some((key) => Object.hasOwn(template, key));
  const granted = counted ? usesAllowed(template) : 1;
  if (explicit === null) return granted;
  if (granted === null) {
    throw new RuleError('"maxUses" contradicts scopeTemplate max_uses: unlimited; keep one of them');
  }
  if (counted && granted > explicit) {
    throw new RuleError(`scopeTemplate grants ${granted} uses, more than "maxUses" ${explicit}`);
  }
  return explicit;
}

/** `strict` or `lenient`; it governs the use of a granted token, so a deny rule takes none. */
function enforcementSetting(value: unknown, decision: PolicyDecision): ScopeEnforcement | null {
  if (value === undefined) return null;
  if (decision === 'deny') throw new RuleError('"enforcement" has no effect on a deny rule');
  if (!SCOPE_ENFORCEMENTS.includes(value as ScopeEnforcement)) {
    throw new RuleError(`"enforcement" must be one of ${SCOPE_ENFORCEMENTS.join(', ')}, got ${show(value)}`);
  }
  return value as ScopeEnforcement;
}

/** A label for the people who approve; it changes no decision, so any rule may carry one. */
function riskSetting(value: unknown): PolicyRisk | null {
  if (value === undefined) return null;
  if (!POLICY_RISKS.includes(value as PolicyRisk)) {
    throw new RuleError(`"risk" must be one of ${POLICY_RISKS.join(', ')}, got ${show(value)}`);
  }
  return value as PolicyRisk;
}

function scopeTemplate(value: unknown, decision: PolicyDecision): Scope | null {
  if (value === undefined) return null;
  if (decision === 'deny') throw new RuleError('"scopeTemplate" has no effect on a deny rule');
  const result = validateScope(value, 'template');
  if (!result.ok) {
    const problems = result.errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`));
    throw new RuleError(`invalid scopeTemplate: ${problems.join('; ')}`);
  }
  return deepFreeze(result.scope);
}

/** Templates are shared by every decision of the rule; freezing makes an accidental edit throw. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
