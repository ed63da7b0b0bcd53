import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tokens (`otp_…`) and agent API keys (`ak_…`) are 256-bit random strings. Only their
 * HMAC-SHA256 under the server secret is stored: a stolen database alone cannot be used to
 * forge or recognise a credential, and a keyed hash lets keys be looked up by hash directly.
 */
export const TOKEN_PREFIX = 'otp_';
export const API_KEY_PREFIX = 'ak_';
export const USER_TOKEN_PREFIX = 'uat_';
export const SESSION_PREFIX = 'ses_';

const SECRET_BYTES = 32;
/** base64url of 32 bytes is 43 characters. */
const SECRET_BODY = /^[A-Za-z0-9_-]{43}$/;

export interface SecretHasher {
  hash(secret: string): string;
  /** Constant-time comparison of a presented secret with a stored hash. */
  matches(secret: string, storedHash: string): boolean;
}

export function createSecretHasher(serverSecret: Uint8Array | string): SecretHasher {
  const key =
    typeof serverSecret === 'string' ? Buffer.from(serverSecret, 'utf8') : Buffer.from(serverSecret);
  if (key.length < 32) throw new Error('the server secret must be at least 32 bytes');
  const hash = (secret: string) => createHmac('sha256', key).update(secret, 'utf8').digest('hex');
  return {
    hash,
    matches(secret, storedHash) {
      const presented = Buffer.from(hash(secret), 'hex');
      const stored = Buffer.from(storedHash, 'hex');
      return presented.length === stored.length && timingSafeEqual(presented, stored);
    },
  };
}

/** A fresh 256-bit secret with a prefix that tells what it is. */
export function generateSecret(prefix: string): string {
  return prefix + randomBytes(SECRET_BYTES).toString('base64url');
}

export function generateToken(): string {
  return generateSecret(TOKEN_PREFIX);
}

export function generateApiKey(): string {
  return generateSecret(API_KEY_PREFIX);
}

/** True when `value` is `prefix` followed by a 256-bit base64url body. */
export function looksLikeSecret(prefix: string, value: string): boolean {
  return value.startsWith(prefix) && SECRET_BODY.test(value.slice(prefix.length));
}

/** Shape checks, so junk is refused before any hashing or lookup. */
export function looksLikeToken(value: string): boolean {
  return looksLikeSecret(TOKEN_PREFIX, value);
}

export function looksLikeApiKey(value: string): boolean {
  return looksLikeSecret(API_KEY_PREFIX, value);
}

/** The part of a key that is safe to display: its prefix and first 6 characters. */
export function displayPrefix(secret: string): string {
  const cut = secret.indexOf('_') + 1;
  return secret.slice(0, cut + 6);
}
