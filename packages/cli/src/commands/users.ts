import type { User } from '@agent-otp/core';
import { Command, Option } from 'commander';
import { cliActor, iso, withRuntime } from '../admin.ts';
import { CliError, print, table } from '../output.ts';
import { addSlackLinkCommands } from './user-slack.ts';
import { userTokensCommand } from './user-tokens.ts';

/**
 * Dashboard and API users, managed on the store directly like `agents`: this is how the first
 * approvers get in, and how an admin who lost their password gets back in (`set-password`).
 */

interface JsonOption {
  json?: boolean;
}

interface CreateOptions extends JsonOption {
  name: string;
  role: User['role'];
  password?: string;
  passwordStdin?: boolean;
}

interface SetPasswordOptions extends JsonOption {
  name: string;
  passwordStdin?: boolean;
  generate?: boolean;
}

/** What may be shown of a user: never the password hash. */
export function publicUser(user: User) {
  return {
    id: user.id,
    name: user.name,
    role: user.role,
    status: user.status,
    createdAt: iso(user.createdAt),
    updatedAt: iso(user.updatedAt),
  };
}

/** The first line of stdin, without its line ending (as `docker login --password-stdin` reads it). */
async function readLine(): Promise<string> {
  process.stdin.setEncoding('utf8');
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk as string;
    // Stop at the first newline: leaving the loop releases stdin, so a terminal is not held open.
    if (text.includes('\n')) break;
  }
  return (text.split('\n')[0] ?? '').replace(/\r$/, '');
}

async function stdinPassword(): Promise<string> {
  const password = await readLine();
  if (password === '') throw new CliError('--password-stdin: no password on stdin');
  return password;
}

async function passwordFrom(options: CreateOptions): Promise<string | undefined> {
  if (!options.passwordStdin) return options.password;
  if (options.password !== undefined)
    throw new CliError('use either --password or --password-stdin, not both');
  return stdinPassword();
}

export function usersCommand(): Command {
  const users = new Command('users').description(
    'Create and manage the people who approve requests, and their API tokens',
  );

  users
    .command('create')
    .description('Create a user; without a password one is generated and printed once')
    .requiredOption('--name <name>', 'user name (letters, digits, ".", "-", "_", "@"); used to log in')
    .addOption(
      new Option('--role <role>', 'admin: everything; approver: decide requests; viewer: read only')
        .choices(['admin', 'approver', 'viewer'])
        .makeOptionMandatory(),
    )
    .option('--password-stdin', 'read the password from the first line of stdin (recommended)')
    .option('--password <password>', 'the password (stays in shell history: prefer --password-stdin)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExample:\n  printf \'%s\\n\' "$PASSWORD" | agent-otp users create --name alice --role approver --password-stdin',
    )
    .action(async (options: CreateOptions) => {
      const password = await passwordFrom(options);
      const { user, generatedPassword } = await withRuntime((rt) =>
        rt.users.create({ name: options.name, role: options.role, password }, cliActor()),
      );
      print(options.json === true, { ...publicUser(user), generatedPassword }, () =>
        [
          `created user ${user.name} (${user.id}), role ${user.role}`,
          ...(generatedPassword ? [`password: ${generatedPassword}`] : []),
        ].join('\n'),
      );
      // Only a hash is stored: this is the one moment the generated password can be seen.
      if (generatedPassword) process.stderr.write('Store this password now: it is not shown again.\n');
    });

  users
    .command('set-password')
    .description(
      "Set a user's password (a lost admin password, say) and end all of their sessions; API tokens stay",
    )
    .requiredOption('--name <name>', 'user name or id (usr_…)')
    .option('--password-stdin', 'read the new password from the first line of stdin')
    .option('--generate', 'generate a password and print it once')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  agent-otp users set-password --name admin --generate\n' +
        '  printf \'%s\\n\' "$PASSWORD" | agent-otp users set-password --name admin --password-stdin',
    )
    .action(async (options: SetPasswordOptions) => {
      // No --password flag: a password in argv stays in shell history and in `ps` for everyone.
      if (options.passwordStdin === options.generate)
        throw new CliError('choose one of --password-stdin or --generate');
      const password = options.passwordStdin ? await stdinPassword() : undefined;
      const { user, sessionsEnded, generatedPassword } = await withRuntime((rt) =>
        rt.users.setPassword(options.name, password, cliActor()),
      );
      print(options.json === true, { ...publicUser(user), sessionsEnded, generatedPassword }, () =>
        [
          `password of ${user.name} (${user.id}) is set; ${sessionsEnded} session(s) ended`,
          ...(generatedPassword ? [`password: ${generatedPassword}`] : []),
        ].join('\n'),
      );
      if (generatedPassword) process.stderr.write('Store this password now: it is not shown again.\n');
    });

  users
    .command('set-role')
    .description(
      "Change a user's role, as an admin does on the users page; the last active admin cannot be demoted",
    )
    .requiredOption('--name <name>', 'user name or id (usr_…)')
    .addOption(
      new Option('--role <role>', 'admin: everything; approver: decide requests; viewer: read only')
        .choices(['admin', 'approver', 'viewer'])
        .makeOptionMandatory(),
    )
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & { name: string; role: User['role'] }) => {
      const { before, user } = await withRuntime(async (rt) => {
        const found = await rt.users.find(options.name);
        return { before: found.role, user: await rt.users.setRole(found.id, options.role, cliActor()) };
      });
      print(options.json === true, { ...publicUser(user), from: before }, () =>
        before === user.role
          ? `${user.name} (${user.id}) already has the role ${user.role}; nothing changed`
          : `role of ${user.name} (${user.id}) changed from ${before} to ${user.role}`,
      );
    });

  users
    .command('list')
    .description('List users (password hashes are never shown)')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption) => {
      const list = (await withRuntime((rt) => rt.users.list(), { readOnly: true })).map(publicUser);
      print(options.json === true, list, () =>
        list.length === 0
          ? 'no users yet (create one with: agent-otp users create --name NAME --role approver)'
          : table(
              ['ID', 'NAME', 'ROLE', 'STATUS', 'CREATED'],
              list.map((u) => [u.id, u.name, u.role, u.status, u.createdAt]),
            ),
      );
    });

  users
    .command('disable')
    .description(
      'Disable a user: logins are refused, their sessions end and their API tokens are revoked for good',
    )
    .argument('<user>', 'user id (usr_…) or name')
    .option('--json', 'print JSON')
    .action(async (idOrName: string, options: JsonOption) => {
      const { user, sessionsEnded, tokensRevoked } = await withRuntime((rt) =>
        rt.users.disable(idOrName, cliActor()),
      );
      print(
        options.json === true,
        { ...publicUser(user), sessionsEnded, tokensRevoked: tokensRevoked.map((t) => t.id) },
        () =>
          `user ${user.name} (${user.id}) is disabled; ${sessionsEnded} session(s) ended, ` +
          `${tokensRevoked.length} API token(s) revoked`,
      );
    });

  users
    .command('enable')
    .description('Enable a disabled user: they log in again; revoked tokens stay revoked')
    .argument('<user>', 'user id (usr_…) or name')
    .option('--json', 'print JSON')
    .action(async (idOrName: string, options: JsonOption) => {
      const user = await withRuntime((rt) => rt.users.enable(idOrName, cliActor()));
      print(options.json === true, publicUser(user), () => `user ${user.name} (${user.id}) is active`);
    });

  users
    .command('link-telegram')
    .description(
      "Make a one-time code that links a user's Telegram chat: send /start CODE to the bot (works once, 10 minutes)",
    )
    .requiredOption('--name <name>', 'user name or id (usr_…)')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; json?: boolean }) => {
      const { user, code, expiresAt } = await withRuntime(async (rt) => {
        const found = await rt.users.find(options.name);
        return { user: found, ...(await rt.telegramLinks.createCode(found, cliActor())) };
      });
      print(options.json === true, { user: user.name, code, expiresAt: iso(expiresAt) }, () =>
        [
          `Send this to the bot in a private Telegram chat, as ${user.name}:`,
          `  /start ${code}`,
          `It works once, until ${iso(expiresAt)}.`,
        ].join('\n'),
      );
    });

  users
    .command('unlink-telegram')
    .description("Unlink a user's Telegram chat: it stops receiving requests and its buttons stop working")
    .requiredOption('--name <name>', 'user name or id (usr_…)')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; json?: boolean }) => {
      const { user, link } = await withRuntime(async (rt) => {
        const found = await rt.users.find(options.name);
        return { user: found, link: await rt.telegramLinks.unlink(found, cliActor()) };
      });
      print(
        options.json === true,
        { user: user.name, chatId: link.chatId, unlinked: true },
        () => `unlinked the Telegram chat ${link.chatLabel ?? link.chatId} from ${user.name}`,
      );
    });

  users.addCommand(userTokensCommand());
  addSlackLinkCommands(users);
  return users;
}
