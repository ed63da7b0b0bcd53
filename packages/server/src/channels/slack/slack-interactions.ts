import { AgentOtpError, type ApprovalService, type Clock, type Store } from '@agent-otp/core';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../../http/env.ts';
import type { SlackConfig } from './slack-config.ts';
import type { SlackNotifier } from './slack-notifier.ts';
import { verifySlackRequest } from './slack-signature.ts';

export interface SlackInteractionDeps {
  store: Store;
  approvals: ApprovalService;
  clock: Clock;
  logger: Logger;
  config: SlackConfig;
  notifier: SlackNotifier;
}

/** Slack's interaction payloads are small; anything larger is not from Slack. */
const MAX_BODY_BYTES = 64 * 1024;

interface BlockAction {
  type?: string;
  user?: { id?: string };
  actions?: Array<{ action_id?: string; value?: string }>;
}

/**
 * POST /slack/interactions: a button click. The request must carry Slack's signature over the
 * raw body; the clicking Slack account must be linked to an active user; the decision then goes
 * through the same approval service as the dashboard (roles, quorum, one outcome when racing).
 */
export function slackInteractionRoutes(deps: SlackInteractionDeps) {
  const app = new Hono<AppEnv>();
  app.post('/slack/interactions', async (c) => {
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > MAX_BODY_BYTES) throw new AgentOtpError('PAYLOAD_TOO_LARGE');
    const raw = await c.req.text();
    if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new AgentOtpError('PAYLOAD_TOO_LARGE');
    const verified = verifySlackRequest(
      deps.config.signingSecret,
      { timestamp: c.req.header('x-slack-request-timestamp'), signature: c.req.header('x-slack-signature') },
      raw,
      Math.floor(deps.clock.now() / 1000),
    );
    if (!verified) throw new AgentOtpError('UNAUTHORIZED', 'the Slack signature or timestamp is not valid');

    const payload = parsePayload(raw);
    const action = payload.actions?.[0];
    const slackUserId = payload.user?.id;
    if (payload.type !== 'block_actions' || !action || !slackUserId) return c.body(null, 200); // nothing of ours
    if (action.action_id !== 'approve' && action.action_id !== 'deny') return c.body(null, 200);
    const permissionId = action.value ?? '';

    const link = await deps.store.getSlackLinkBySlackUser(slackUserId);
    const user = link ? await deps.store.getUser(link.userId) : null;
    if (user?.status !== 'active') {
      deps.logger.warn(
        { slackUser: slackUserId, permissionId },
        'slack: click by an unlinked or disabled account',
      );
      throw new AgentOtpError('FORBIDDEN', 'this Slack account is not linked to an active Agent OTP user');
    }
    let outcome: string;
    try {
      const decided =
        action.action_id === 'approve'
          ? await deps.approvals.approve(user, permissionId)
          : await deps.approvals.deny(user, permissionId, 'via Slack');
      outcome = decided.outcome;
    } catch (error) {
      // Decided meanwhile (by another click, the dashboard or expiry): the message catches up.
      if (error instanceof AgentOtpError && (error.code === 'INVALID_STATE' || error.code === 'CONFLICT')) {
        void deps.notifier.settle(permissionId);
        return c.json({ success: true, data: { outcome: 'unchanged', reason: error.message } }, 200);
      }
      throw error;
    }
    return c.json({ success: true, data: { outcome } }, 200);
  });
  return app;
}

function parsePayload(raw: string): BlockAction {
  const text = new URLSearchParams(raw).get('payload');
  if (!text)
    throw new AgentOtpError('VALIDATION_ERROR', 'the form field payload is missing', { field: 'payload' });
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as BlockAction;
  } catch {
    // reported below
  }
  throw new AgentOtpError('VALIDATION_ERROR', 'payload is not a JSON object', { field: 'payload' });
}
