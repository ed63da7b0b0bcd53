import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Store } from '@agent-otp/core';
import { ConfigError } from './config.ts';

const SETTING = 'server_secret_fingerprint';
// A fixed label under the secret: proves which secret it is without revealing anything of it,
// and is unrelated to every hash the secret keys (those are over keys and tokens, never this).
const LABEL = 'agent-otp/server-secret-fingerprint/v1';

/** HMAC-SHA256 of a fixed label under the secret, hex; safe to store next to the data. */
export function secretFingerprint(secret: Buffer): string {
  return createHmac('sha256', secret).update(LABEL).digest('hex');
}

/**
 * Every API key and token is stored as an HMAC under the server secret, so instances sharing a
 * database must share the secret too. The first start records the secret's fingerprint in the
 * database; a later start with another secret stops here with what to do, instead of running
 * and refusing every key and token it did not issue.
 */
export async function requireSharedSecret(
  store: Store,
  secret: Buffer,
  secretFile: string,
  now: number,
): Promise<void> {
  const mine = secretFingerprint(secret);
  const stored = await store.claimSetting(SETTING, mine, now);
  if (stored.length !== mine.length || !timingSafeEqual(Buffer.from(stored), Buffer.from(mine))) {
    throw new ConfigError(
      `the server secret in ${secretFile} is not the one this database was set up with. ` +
        'Every instance that shares a database must use the same secret file: copy the secret file ' +
        'of the first instance to this one (or point AGENT_OTP_SERVER_SECRET_FILE at it).',
    );
  }
}
