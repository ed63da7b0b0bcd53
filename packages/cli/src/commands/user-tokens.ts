import type { UserToken } from '@agent-otp/core';
import { Command } from 'commander';
import { cliActor, iso, withRuntime } from '../admin.ts';
import { print, table } from '../output.ts';

/**
 * `users token …`: personal API tokens (`uat_…`), which the approval API and `agent-otp
 * approvals` authenticate with. Only their HMAC is stored, so a token is shown once at creation.
 */

interface JsonOption {
  json?: boolean;
}

/** What may be shown of a token: never its hash. */
function publicToken(token: UserToken) {
  return {
    id: token.id,
    label: token.name,
    userId: token.userId,
    createdAt: iso(token.createdAt),
    revokedAt: token.revokedAt === null ? null : iso(token.revokedAt),
  };
}

export function userTokensCommand(): Command {
  const tokens = new Command('token').description('Create, list and revoke a user’s personal API tokens');

  tokens
    .command('create')
    .description(
      'Create an API token for a user (shown once); use it as AGENT_OTP_TOKEN. Only here, on the ' +
        "server's host, can a token be made for someone else; the audit log records it as minted by " +
        'system cli:<os user>',
    )
    .requiredOption('--name <user>', 'user id (usr_…) or name')
    .option('--label <label>', 'what the token is for, to recognise it when revoking', 'cli')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & { name: string; label: string }) => {
      const { token, record, user } = await withRuntime((rt) =>
        rt.users.createToken(options.name, options.label, cliActor()),
      );
      print(
        options.json === true,
        {
          token,
          id: record.id,
          label: record.name,
          user: { id: user.id, name: user.name, role: user.role },
          createdAt: iso(record.createdAt),
        },
        () =>
          [`created token ${record.name} (${record.id}) for user ${user.name}`, `token: ${token}`].join('\n'),
      );
      // Stderr even with --json, where a script may swallow stdout.
      process.stderr.write('Store this token now: it is not shown again.\n');
    });

  tokens
    .command('list')
    .description('List a user’s tokens, revoked ones included (the tokens themselves are never shown)')
    .requiredOption('--name <user>', 'user id (usr_…) or name')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & { name: string }) => {
      const list = (await withRuntime((rt) => rt.users.listTokens(options.name), { readOnly: true })).map(
        publicToken,
      );
      print(options.json === true, list, () =>
        list.length === 0
          ? `no tokens for ${options.name} (create one with: agent-otp users token create --name ${options.name})`
          : table(
              ['ID', 'LABEL', 'CREATED', 'REVOKED'],
              list.map((t) => [t.id, t.label, t.createdAt, t.revokedAt ?? '-']),
            ),
      );
    });

  tokens
    .command('revoke')
    .description('Revoke a token: it is refused from the next request on')
    .argument('<tokenId>', 'token id (utk_…), from `users token list`')
    .option('--json', 'print JSON')
    .action(async (tokenId: string, options: JsonOption) => {
      const revoked = publicToken(await withRuntime((rt) => rt.users.revokeToken(tokenId, cliActor())));
      print(options.json === true, revoked, () => `token ${revoked.label} (${revoked.id}) is revoked`);
    });

  return tokens;
}
