import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: a request signed more than five minutes away from now is refused. */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the app's signing secret. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/**
 * Checks Slack's request signature (X-Slack-Signature, X-Slack-Request-Timestamp): timestamp
 * within the window, signature compared in constant time. Fails closed on anything missing.
 */
export function verifySlackRequest(
  signingSecret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds: number,
): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > SLACK_MAX_SKEW_SECONDS) return false;
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, rawBody));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
