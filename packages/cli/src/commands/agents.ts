import { type Agent, type AgentWithKey, parseGrace, resolveExpiry } from '@agent-otp/core';
import { Command } from 'commander';
import { cliActor, iso, withRuntime } from '../admin.ts';
import { CliError, print, table } from '../output.ts';

interface JsonOption {
  json?: boolean;
}

interface ExpiryOptions {
  expiresIn?: string;
  expiresAt?: string;
  never?: boolean;
}

const isoOrNull = (ms: number | null | undefined) => (ms == null ? null : iso(ms));

/** What may be shown of an agent: never a key hash, current or previous. */
function publicAgent(agent: Agent) {
  return {
    id: agent.id,
    name: agent.name,
    status: agent.status,
    keyPrefix: agent.keyPrefix,
    expiresAt: isoOrNull(agent.expiresAt),
    previousKeyPrefix: agent.previousKey?.prefix ?? null,
    previousKeyValidUntil: isoOrNull(agent.previousKey?.expiresAt),
    createdAt: iso(agent.createdAt),
    updatedAt: iso(agent.updatedAt),
  };
}

/** The agent named by the positional argument or --name (one of them, not both). */
function agentArgument(positional: string | undefined, options: { name?: string }): string {
  if (positional !== undefined && options.name !== undefined && positional !== options.name) {
    throw new CliError('name the agent once: as an argument or with --name');
  }
  const name = positional ?? options.name;
  if (!name) throw new CliError('which agent? give its name or id (agt_…), e.g. --name mail-bot');
  return name;
}

/** The expiry column of `agents list`: when, or "never"; "expired" once past. */
function expiryCell(agent: Agent, now: number): string {
  if (agent.expiresAt === null) return 'never';
  return agent.expiresAt <= now ? `expired ${iso(agent.expiresAt)}` : iso(agent.expiresAt);
}

/**
 * Prints a freshly made key. This is the only moment it exists in plaintext (only its HMAC is
 * stored), so the warning goes to stderr even with --json, where a script may swallow stdout.
 */
function printNewKey(json: boolean, { agent, apiKey }: AgentWithKey, verb: string): void {
  print(
    json,
    { id: agent.id, name: agent.name, apiKey, keyPrefix: agent.keyPrefix, createdAt: iso(agent.createdAt) },
    () => [`${verb} agent ${agent.name} (${agent.id})`, `API key: ${apiKey}`].join('\n'),
  );
  process.stderr.write('Store this API key now: it is not shown again.\n');
}

export function agentsCommand(): Command {
  const agents = new Command('agents').description('Create and manage agent identities and their API keys');

  agents
    .command('create')
    .description('Create an agent and print its API key (shown once)')
    .requiredOption(
      '--name <name>',
      'agent name (letters, digits, ".", "-", "_"); policies match it as `agent`',
    )
    .option(
      '--expires-in <duration>',
      'the key stops working after this long: 90m, 12h, 30d (units s, m, h, d)',
    )
    .option('--expires-at <time>', 'the key stops working at this ISO 8601 time, e.g. 2030-01-31T00:00:00Z')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & ExpiryOptions & { name: string }) => {
      const created = await withRuntime((rt) => {
        const expiresAt = resolveExpiry(options, rt.clock.now()) ?? null;
        return rt.agents.create(options.name, cliActor(), { expiresAt });
      });
      printNewKey(options.json === true, created, 'created');
    });

  agents
    .command('set-expiry')
    .description('Set when an agent’s key stops working (refused as AGENT_EXPIRED from then on), or clear it')
    .argument('[agent]', 'agent id (agt_…) or name (or --name)')
    .option('--name <name>', 'agent name or id')
    .option('--expires-in <duration>', 'from now: 90m, 12h, 30d (units s, m, h, d)')
    .option('--expires-at <time>', 'an ISO 8601 time, e.g. 2030-01-31T00:00:00Z')
    .option('--never', 'clear the expiry: the key works until rotated or disabled')
    .option('--json', 'print JSON')
    .action(
      async (positional: string | undefined, options: JsonOption & ExpiryOptions & { name?: string }) => {
        const idOrName = agentArgument(positional, options);
        const agent = await withRuntime((rt) => {
          const expiresAt = resolveExpiry(options, rt.clock.now());
          if (expiresAt === undefined)
            throw new CliError('give one of --expires-in, --expires-at or --never');
          return rt.agents.setExpiry(idOrName, expiresAt, cliActor());
        });
        print(options.json === true, publicAgent(agent), () =>
          agent.expiresAt === null
            ? `agent ${agent.name} (${agent.id}) no longer expires`
            : `agent ${agent.name} (${agent.id}) expires at ${iso(agent.expiresAt)}`,
        );
      },
    );

  agents
    .command('list')
    .description('List agents (keys are never shown, only their prefix)')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption) => {
      const agents = await withRuntime((rt) => rt.agents.list(), { readOnly: true });
      const now = Date.now();
      print(options.json === true, agents.map(publicAgent), () =>
        agents.length === 0
          ? 'no agents yet (create one with: agent-otp agents create --name NAME)'
          : table(
              ['ID', 'NAME', 'STATUS', 'KEY PREFIX', 'EXPIRES', 'PREVIOUS KEY', 'CREATED'],
              agents.map((a) => [
                a.id,
                a.name,
                a.status,
                a.keyPrefix,
                expiryCell(a, now),
                a.previousKey && a.previousKey.expiresAt > now
                  ? `${a.previousKey.prefix} until ${iso(a.previousKey.expiresAt)}`
                  : '-',
                iso(a.createdAt),
              ]),
            ),
      );
    });

  agents
    .command('rotate')
    .description(
      'Replace an agent’s API key; the old key stops working at once, or after --grace (at most 24h)',
    )
    .argument('[agent]', 'agent id (agt_…) or name (or --name)')
    .option('--name <name>', 'agent name or id')
    .option('--grace <duration>', 'keep the old key valid this long beside the new one: 10m, 2h (max 24h)')
    .option('--json', 'print JSON')
    .action(
      async (positional: string | undefined, options: JsonOption & { name?: string; grace?: string }) => {
        const idOrName = agentArgument(positional, options);
        const graceMs = parseGrace(options.grace);
        const rotated = await withRuntime((rt) => rt.agents.rotate(idOrName, cliActor(), { graceMs }));
        printNewKey(options.json === true, rotated, 'rotated the key of');
        const previous = rotated.agent.previousKey;
        if (previous) {
          process.stderr.write(
            `The previous key ${previous.prefix}… stays valid until ${iso(previous.expiresAt)}.\n`,
          );
        }
      },
    );

  agents
    .command('revoke-previous-key')
    .description('End a rotation’s grace period now: the previous key is refused from this moment')
    .argument('[agent]', 'agent id (agt_…) or name (or --name)')
    .option('--name <name>', 'agent name or id')
    .option('--json', 'print JSON')
    .action(async (positional: string | undefined, options: JsonOption & { name?: string }) => {
      const idOrName = agentArgument(positional, options);
      const agent = await withRuntime((rt) => rt.agents.revokePreviousKey(idOrName, cliActor()));
      print(
        options.json === true,
        publicAgent(agent),
        () => `the previous key of ${agent.name} (${agent.id}) no longer works`,
      );
    });

  agents
    .command('disable')
    .description(
      'Disable an agent: its key is refused, its unspent tokens are revoked and its pending requests ' +
        'cancelled for good; enabling it later issues a new key',
    )
    .argument('<agent>', 'agent id (agt_…) or name')
    .option('--json', 'print JSON')
    .action(async (idOrName: string, options: JsonOption) => {
      const { agent, revoked, cancelled } = await withRuntime((rt) =>
        rt.agents.disable(idOrName, cliActor()),
      );
      print(
        options.json === true,
        { ...publicAgent(agent), revoked: revoked.map((p) => p.id), cancelled: cancelled.map((p) => p.id) },
        () =>
          `agent ${agent.name} (${agent.id}) is disabled; ${revoked.length} unspent token(s) revoked, ` +
          `${cancelled.length} pending request(s) cancelled`,
      );
    });

  agents
    .command('enable')
    .description(
      'Enable a disabled agent with a NEW API key (shown once): the key it had before never works again',
    )
    .argument('<agent>', 'agent id (agt_…) or name')
    .option('--json', 'print JSON')
    .action(async (idOrName: string, options: JsonOption) => {
      const enabled = await withRuntime((rt) => rt.agents.enable(idOrName, cliActor()));
      printNewKey(options.json === true, enabled, 'enabled');
    });
  return agents;
}
