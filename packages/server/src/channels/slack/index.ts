import type { ApprovalService, Clock, PermissionEvents, Store } from '@agent-otp/core';
import type { Logger } from 'pino';
import { loadSlack } from '../../optional-deps.ts';
import type { Links } from '../../routes/presenters.ts';
import type { SlackConfig } from './slack-config.ts';
import { slackInteractionRoutes } from './slack-interactions.ts';
import { createSlackLinks } from './slack-links.ts';
import { createSlackNotifier } from './slack-notifier.ts';

export type { SlackConfig } from './slack-config.ts';
export { SlackEnvSchema, slackConfig } from './slack-config.ts';
export { slackSignature, verifySlackRequest } from './slack-signature.ts';

export interface SlackChannelDeps {
  store: Store;
  events: PermissionEvents;
  approvals: ApprovalService;
  clock: Clock;
  logger: Logger;
  links: Links;
  /** Null when Slack is not configured: linking still works, nothing is sent. */
  config: SlackConfig | null;
}

/**
 * Slack approvals, wired in one place: account links (always, so the CLI can link before Slack
 * is configured), and when configured the notifier and the interactions route.
 */
export function createSlackChannel(deps: SlackChannelDeps) {
  const links = createSlackLinks(deps);
  const { config } = deps;
  if (!config) return { links, notifier: null, routes: null };
  const client = new (loadSlack().WebClient)(config.botToken, {
    ...(config.apiRoot ? { slackApiUrl: config.apiRoot } : {}),
    retryConfig: { retries: config.retries, factor: 2, minTimeout: 200, maxTimeout: 30_000 },
    // The Web API client logs through its own logger; keep it quiet, we log outcomes ourselves.
    logLevel: undefined,
  });
  const notifier = createSlackNotifier({ ...deps, client, links: deps.links });
  const routes = slackInteractionRoutes({ ...deps, config, notifier });
  return { links, notifier, routes };
}

export type SlackChannel = ReturnType<typeof createSlackChannel>;
