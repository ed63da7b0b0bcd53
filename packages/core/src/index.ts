export * from './types.ts';
export * from './ids.ts';
export * from './clock.ts';
export * from './errors.ts';
export * from './secrets.ts';
export type * from './store.ts';
export * from './audit/canonical-json.ts';
export * from './audit/chain.ts';
export type * from './policy/types.ts';
