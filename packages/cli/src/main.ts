import { Command, CommanderError } from 'commander';
import { agentsCommand } from './commands/agents.ts';
import { approvalsCommand } from './commands/approvals.ts';
import { auditCommand } from './commands/audit.ts';
import { guardCommand, mcpCommand } from './commands/mcp.ts';
import { policyCommand } from './commands/policy.ts';
import { serveCommand } from './commands/serve.ts';
import { usersCommand } from './commands/users.ts';
import { webhooksCommand } from './commands/webhooks.ts';
import { CliError } from './output.ts';

/**
 * Builds the program; every command group lives in its own file under commands/. Nothing here
 * imports @agent-otp/server at load time: the commands that need it import it when they run
 * (see serverPackage in admin.ts), so `--help` and the HTTP commands start fast.
 */
export function buildProgram(): Command {
  const program = new Command('agent-otp')
    .description('One-time permissions for AI agents: server and admin commands')
    .option('--data-dir <dir>', 'data directory (default: $AGENT_OTP_DATA_DIR or ./.agent-otp)')
    .exitOverride();
  program.hook('preAction', (command) => {
    const dataDir = command.opts().dataDir as string | undefined;
    if (dataDir) process.env.AGENT_OTP_DATA_DIR = dataDir;
  });
  program.addCommand(serveCommand());
  program.addCommand(agentsCommand());
  program.addCommand(usersCommand());
  program.addCommand(approvalsCommand());
  program.addCommand(policyCommand());
  program.addCommand(auditCommand());
  program.addCommand(webhooksCommand());
  program.addCommand(guardCommand());
  program.addCommand(mcpCommand());
  oneLineErrors(program);
  return program;
}

/**
 * A usage error (unknown command or option, missing argument) is one line naming the mistake,
 * with commander's suggestion folded in, then where to look: the whole help after every typo
 * buries the one line that matters. Applied to every command, because addCommand does not pass
 * these settings down. exitOverride on each: a subcommand's usage error then returns its exit
 * code from main() like the root's does, instead of ending the process from inside commander
 * (which would end a host that runs main() in-process, such as the docs examples' runner).
 */
function oneLineErrors(command: Command): void {
  command
    .exitOverride()
    .showHelpAfterError(`see ${commandPath(command)} --help`)
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (text, write) =>
        write(`${text.trimEnd().replace(/\s*\(Did you mean/, ' (did you mean')}\n`),
    });
  for (const sub of command.commands) oneLineErrors(sub);
}

/** `agent-otp approvals list`: the words that reach this command. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** Runs the CLI and returns the exit code. Errors are one clear line on stderr. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    // Expected failures (CliError, core's AgentOtpError, the server's ConfigError) carry a message
    // written for the operator. Anything else is still clearer as one line than as a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`agent-otp: ${message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
