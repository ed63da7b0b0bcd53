export {
  checkScopeAtUse,
  maxPatternDetailLength,
  type ScopeUseCheck,
  unenforcedConstraints,
} from './check.ts';
export { type ClampedKey, clampedKeys } from './clamped.ts';
export { COUNT_KEYS, type ConstraintKind, classifyConstraint } from './convention.ts';
export {
  narrowGrantedScope,
  narrowScope,
  type ScopeConflict,
  uninterpretedConflicts,
  usesAllowed,
} from './narrow.ts';
export { compileRegex, type Regex, type RegexCompilation, SCOPE_REGEX_LIMITS } from './regex.ts';
export {
  SCOPE_LIMITS,
  type ScopeError,
  type ScopeOrigin,
  type ScopeValidation,
  validateScope,
} from './validate.ts';
