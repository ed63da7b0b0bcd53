export * from './types.ts';
export * from './webhook-events.ts';
export * from './webhook-service.ts';
export * from './webhook-signature.ts';
export * from './webhook-url.ts';
