import { randomBytes } from 'node:crypto';

/** Id prefixes make every id self-describing in logs and URLs. */
export const ID_PREFIX = {
  agent: 'agt',
  permission: 'perm',
  audit: 'aud',
  user: 'usr',
  request: 'req',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

/** A prefixed random id: 128 bits, base64url. Ids are not secrets; tokens and keys are made elsewhere. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIX[kind]}_${randomBytes(16).toString('base64url')}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[A-Za-z0-9_-]{10,64}$/;

/** True when the string has the shape of an id of the given kind; used to reject junk before any lookup. */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIX[kind]}_`) && ID_PATTERN.test(value);
}
