import type { PendingApprovalInfo } from '@orrisai/agent-otp-sdk';
import type { GuardDeps, GuardedCall } from './guard-call.ts';

/** How often a waiting call reports progress, so clients that reset their timeout on it wait on. */
const KEEPALIVE_MS = 15_000;

export interface PendingNotices {
  /** `onPendingApproval`: tells the client where a human can decide. */
  pending(info: PendingApprovalInfo): void;
  /** Stops the keep-alive and closes the elicitation, once the wait ended either way. */
  done(): Promise<void>;
}

/**
 * Gets the approval link to whoever sits at the MCP client, by every channel it has: a log
 * message (all clients), a progress message when the call carries a progress token (repeated
 * while waiting), and a URL elicitation when the client supports that mode — the client then
 * offers to open the approval page. Declining it cancels the request: the user said no.
 * Nothing here may fail the call: a client that drops a notice just does not see it.
 */
export function pendingNotices(
  call: GuardedCall,
  action: string,
  deps: GuardDeps,
  stop: AbortController,
): PendingNotices {
  let keepalive: NodeJS.Timeout | undefined;
  let elicited: string | undefined;
  const elicitation = new AbortController();
  const progress = (step: number, message: string) => {
    if (call.progressToken === undefined) return;
    const params = { progressToken: call.progressToken, progress: step, message };
    deps.sendNotification({ method: 'notifications/progress', params }).catch(() => undefined);
  };

  return {
    pending(info) {
      const text = `Approval needed for ${action} (${info.id}): ${info.approvalUrl} (waiting until ${info.expiresAt})`;
      deps.log(text);
      deps.server
        .sendLoggingMessage({ level: 'notice', logger: 'agent-otp', data: text })
        .catch(() => undefined);
      progress(0, text);
      let step = 0;
      keepalive = setInterval(() => {
        step += 1;
        progress(step, `still waiting for approval of ${action}: ${info.approvalUrl}`);
      }, KEEPALIVE_MS);
      keepalive.unref();

      if (deps.server.getClientCapabilities()?.elicitation?.url === undefined) return;
      elicited = info.id;
      deps.server
        .elicitInput(
          {
            mode: 'url',
            message: `Agent OTP: approve or deny ${action} before the tool can run`,
            url: info.approvalUrl,
            elicitationId: info.id,
          },
          { relatedRequestId: call.requestId, signal: elicitation.signal, timeout: 24 * 3600_000 },
        )
        .then((answer) => {
          if (answer.action === 'decline') stop.abort('the user declined to open the approval page');
        })
        .catch(() => undefined);
    },
    async done() {
      clearInterval(keepalive);
      elicitation.abort();
      if (elicited === undefined) return;
      await deps.server
        .createElicitationCompletionNotifier(elicited, { relatedRequestId: call.requestId })()
        .catch(() => undefined);
    },
  };
}
