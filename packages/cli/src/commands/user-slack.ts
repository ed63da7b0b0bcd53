import type { Command } from 'commander';
import { cliActor, withRuntime } from '../admin.ts';
import { print } from '../output.ts';

/**
 * `users link-slack` / `users unlink-slack`: which Slack account decides as which user. Done on
 * the host by whoever runs the server, like creating the user (see docs/slack.md).
 */
export function addSlackLinkCommands(users: Command): void {
  users
    .command('link-slack')
    .description('Link a user to a Slack account: their Approve/Deny clicks in Slack decide as them')
    .requiredOption('--name <name>', 'user name')
    .requiredOption('--slack-user <id>', 'Slack member id (U…): Slack profile → ⋮ → Copy member ID')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; slackUser: string; json?: boolean }) => {
      const { user, slackUserId } = await withRuntime((rt) =>
        rt.slack.links.link(options.name, options.slackUser, cliActor()),
      );
      print(
        options.json === true,
        { userId: user.id, name: user.name, slackUserId },
        () => `linked ${user.name} (${user.id}) to Slack user ${slackUserId}`,
      );
    });
  users
    .command('unlink-slack')
    .description('Remove a user’s Slack link: clicks from that account decide nothing any more')
    .requiredOption('--name <name>', 'user name')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; json?: boolean }) => {
      const user = await withRuntime((rt) => rt.slack.links.unlink(options.name, cliActor()));
      print(
        options.json === true,
        { userId: user.id, name: user.name, unlinked: true },
        () => `unlinked ${user.name}`,
      );
    });
}
