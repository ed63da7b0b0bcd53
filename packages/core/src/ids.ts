import { randomBytes } from 'node:crypto';

/** Id prefixes make every id self-describing in logs and URLs. */
export const ID_PREFIX = {
  agent: 'agt',
  permission: 'perm',
  audit: 'aud',
  user: 'usr',
  userToken: 'utk',
  session: 'ses',
  request: 'req',
  webhook: 'whk',
  webhookDelivery: 'dlv',
  webhookEvent: 'evt',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

// Random bytes drawn 4 KiB at a time: one system call per 256 ids instead of one per id.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function random16(): Buffer {
  if (offset + 16 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

/**
 * A prefixed random id: 128 bits from the CSPRNG, base64url, so ids cannot be guessed. Ids are
 * not secrets; tokens and keys are made elsewhere, each from its own fresh random bytes.
 */
export function newId(kind: IdKind): string {
  return `${ID_PREFIX[kind]}_${random16().toString('base64url')}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[A-Za-z0-9_-]{10,64}$/;

/** True when the string has the shape of an id of the given kind; used to reject junk before any lookup. */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIX[kind]}_`) && ID_PATTERN.test(value);
}
