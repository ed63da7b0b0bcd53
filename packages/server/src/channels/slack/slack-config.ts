import { z } from 'zod';

/** The Slack settings of the environment; Slack is off unless the token and signing secret are both set. */
export const SlackEnvSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xox[a-z]-[A-Za-z0-9-]+$/, 'must be a Slack bot token (xoxb-…)')
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(16, 'must be the app signing secret').optional(),
  SLACK_API_ROOT: z.url().optional(),
  AGENT_OTP_SLACK_RETRIES: z.coerce.number().int().min(0).max(10).default(5),
});

export interface SlackConfig {
  botToken: string;
  signingSecret: string;
  /** The Web API's base (`https://slack.com/api/`); a stand-in's for tests. */
  apiRoot: string | undefined;
  /** Retries of a failed Slack call (5xx, network), with backoff; 429s wait for Retry-After. */
  retries: number;
}

/** Null when Slack is not configured; an error message when only half of it is. */
export function slackConfig(e: z.infer<typeof SlackEnvSchema>): SlackConfig | null | string {
  if (!e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET) return null;
  if (!e.SLACK_BOT_TOKEN) return 'SLACK_BOT_TOKEN: required when SLACK_SIGNING_SECRET is set';
  if (!e.SLACK_SIGNING_SECRET) return 'SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set';
  const root = e.SLACK_API_ROOT;
  return {
    botToken: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    apiRoot: root === undefined ? undefined : root.endsWith('/') ? root : `${root}/`,
    retries: e.AGENT_OTP_SLACK_RETRIES,
  };
}
