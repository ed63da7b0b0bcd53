import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header every delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'Agent-OTP-Signature';
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

// A label of its own, so no other key derived from the server secret can ever equal this one.
const DERIVATION_LABEL = 'agent-otp/webhook-secret/v1';

/** A fresh salt for a new webhook (stored; the secret itself never is). */
export function newWebhookSalt(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The signing secret of a webhook: HMAC(HMAC(serverSecret, label), id ":" salt). The server
 * derives it again whenever it signs, so the database holds only the salt, and rotating the
 * server secret invalidates every webhook secret (they must be added again).
 */
export function deriveWebhookSecret(
  serverSecret: Uint8Array | string,
  webhookId: string,
  salt: string,
): string {
  const root = createHmac('sha256', Buffer.from(serverSecret)).update(DERIVATION_LABEL).digest();
  const body = createHmac('sha256', root).update(`${webhookId}:${salt}`).digest('base64url');
  return `${WEBHOOK_SECRET_PREFIX}${body}`;
}

/** The header value for `body` sent at `unixSeconds`, keyed by the webhook's secret (its UTF-8 bytes). */
export function signWebhookBody(secret: string, unixSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/**
 * What a receiver does (the documented snippet in docs/webhooks.md is this, standalone): parse
 * the header, refuse a timestamp outside `toleranceSeconds`, compare the HMAC in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhookBody(secret, t, body).split('v1=')[1] as string, 'hex');
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
