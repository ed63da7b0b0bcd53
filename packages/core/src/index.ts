export * from './agents/agent-expiry.ts';
export * from './agents/agent-service.ts';
export * from './agents/key-used.ts';
export * from './approvals/approval-service.ts';
export * from './audit/canonical-json.ts';
export * from './audit/chain.ts';
export * from './audit/chain-verifier.ts';
export * from './audit/checkpoint.ts';
export * from './audit/checkpointer.ts';
export * from './audit/export.ts';
export * from './audit/verify.ts';
export type * from './channels/telegram-store.ts';
export * from './clock.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './ids.ts';
export * from './lazy-require.ts';
export * from './permissions/permission-service.ts';
export * from './policy/index.ts';
export type * from './policy/types.ts';
export * from './policy-history/index.ts';
export * from './redact.ts';
export * from './scope/index.ts';
export * from './secrets.ts';
export type * from './slack/types.ts';
export type * from './store.ts';
export * from './types.ts';
export {
  createLoginThrottle,
  LOGIN_LIMITS,
  LOGIN_WINDOW_MS,
  type LoginThrottle,
  type ThrottleKind,
  type ThrottleLimit,
  throttleWaitMs,
} from './users/login-throttle.ts';
export { hashPassword, verifyPassword } from './users/password.ts';
export * from './users/user-service.ts';
export * from './webhooks/index.ts';
