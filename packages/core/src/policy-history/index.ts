export * from './line-diff.ts';
export * from './policy-history-service.ts';
export * from './types.ts';
