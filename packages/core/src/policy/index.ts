export { PolicyLoadError } from './errors.ts';
export { checkPolicyText, loadPolicy, type PolicyCheck, policyVersion } from './load.ts';
export { OPERATOR_NAMES, type OperatorName } from './operators.ts';
export type {
  Policy,
  PolicyEvaluation,
  PolicyExplanation,
  PolicyInput,
  PolicyRule,
  PolicyWarning,
  RuleExplanation,
} from './types.ts';
export { POLICY_RISKS, type PolicyRisk } from './types.ts';
