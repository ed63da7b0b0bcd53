import { Command, InvalidArgumentError } from 'commander';

/**
 * `agent-otp guard` and `agent-otp mcp`: stdio MCP servers. Their stdout is the protocol, so
 * everything they say for people goes to stderr. @agent-otp/mcp is imported when they run, so
 * the other commands do not load the MCP SDK.
 */
export function guardCommand(): Command {
  return new Command('guard')
    .description('Run a stdio MCP server with every tool call behind a one-time permission')
    .requiredOption('--name <name>', "the server's name in actions: mcp.<name>.<tool>")
    .option(
      '--timeout <seconds>',
      'longest wait for a human decision (default: the approval deadline)',
      seconds,
    )
    .argument('<command>', 'the wrapped stdio MCP server (after --)')
    .argument('[args...]', 'its arguments')
    .addHelpText(
      'after',
      '\nExample: agent-otp guard --name fs -- npx @modelcontextprotocol/server-filesystem /data',
    )
    .action(async (command: string, args: string[], options: { name: string; timeout?: number }) => {
      const { serveGuard } = await import('@agent-otp/mcp');
      await serveGuard({ name: options.name, command, args, timeoutSeconds: options.timeout });
    });
}

export function mcpCommand(): Command {
  return new Command('mcp')
    .description('Run a stdio MCP server with tools to request, use and verify one-time permissions')
    .action(async () => {
      const { servePermissionTools } = await import('@agent-otp/mcp');
      await servePermissionTools();
    });
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of seconds ≥ 1');
  return n;
}
