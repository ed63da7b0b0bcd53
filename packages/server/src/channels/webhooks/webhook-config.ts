import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The webhook settings of the environment (parsed with the rest of the config, see config.ts). */
export const WebhookEnvSchema = z.object({
  AGENT_OTP_WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(10_000),
  AGENT_OTP_WEBHOOK_MAX_ATTEMPTS: int(1, 30).default(10),
  AGENT_OTP_WEBHOOK_RETRY_BASE_MS: int(10, 3_600_000).default(5_000),
  AGENT_OTP_WEBHOOK_RETRY_MAX_MS: int(10, 24 * 3_600_000).default(3_600_000),
  AGENT_OTP_WEBHOOK_POLL_MS: int(10, 60_000).default(1_000),
  AGENT_OTP_WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
});

export interface WebhookConfig {
  /** An attempt without a complete answer by then counts as failed (and is retried). */
  timeoutMs: number;
  /** Attempts per event before the delivery is given up as `failed`. */
  maxAttempts: number;
  /** The wait after the first failure; it doubles after each one, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often the worker looks for due deliveries (new events wake it at once). */
  pollMs: number;
  /**
   * Whether receivers may resolve to loopback, private or link-local addresses. Off by default:
   * a webhook URL is a request the server makes on an admin's behalf (SSRF).
   */
  allowPrivate: boolean;
}

export function webhookConfig(e: z.infer<typeof WebhookEnvSchema>): WebhookConfig {
  return {
    timeoutMs: e.AGENT_OTP_WEBHOOK_TIMEOUT_MS,
    maxAttempts: e.AGENT_OTP_WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: e.AGENT_OTP_WEBHOOK_RETRY_BASE_MS,
    retryMaxMs: e.AGENT_OTP_WEBHOOK_RETRY_MAX_MS,
    pollMs: e.AGENT_OTP_WEBHOOK_POLL_MS,
    allowPrivate: e.AGENT_OTP_WEBHOOK_ALLOW_PRIVATE === 'true',
  };
}

/** After the `attempts`-th failure: base · 2^(attempts-1), capped. */
export function retryDelayMs(config: WebhookConfig, attempts: number): number {
  return Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}
