import { type Actor, AgentOtpError, type Clock, newId, type Store } from '@agent-otp/core';

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;

/**
 * Linking a dashboard user to a Slack account: an admin's act on the host (`users link-slack`),
 * audited. Clicks from that Slack account then decide as that user, with that user's role.
 */
export function createSlackLinks({ store, clock }: { store: Store; clock: Clock }) {
  const audit = (event: string, actor: Actor, userId: string, details: Record<string, string>) => ({
    id: newId('audit'),
    at: clock.now(),
    event,
    actor,
    agentId: null,
    permissionId: null,
    policyVersion: null,
    details: { userId, ...details },
  });

  async function userNamed(name: string) {
    const user = await store.getUserByName(name);
    if (!user) throw new AgentOtpError('NOT_FOUND', `user ${name} not found`);
    return user;
  }

  return {
    async link(name: string, slackUserId: string, actor: Actor) {
      if (!SLACK_USER_ID.test(slackUserId)) {
        throw new AgentOtpError(
          'VALIDATION_ERROR',
          'the Slack user id looks like U0123ABCD (Profile → ⋮ → Copy member ID)',
          {
            field: 'slackUserId',
          },
        );
      }
      const user = await userNamed(name);
      await store.linkSlackUser(
        { userId: user.id, slackUserId, createdAt: clock.now() },
        audit('slack.linked', actor, user.id, { user: user.name, slackUserId }),
      );
      return { user, slackUserId };
    },
    async unlink(name: string, actor: Actor) {
      const user = await userNamed(name);
      const removed = await store.unlinkSlackUser(
        user.id,
        audit('slack.unlinked', actor, user.id, { user: user.name }),
      );
      if (!removed) throw new AgentOtpError('NOT_FOUND', `${user.name} has no linked Slack account`);
      return user;
    },
  };
}
