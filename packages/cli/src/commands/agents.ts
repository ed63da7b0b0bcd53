import type { Agent, AgentWithKey } from '@agent-otp/core';
import { Command } from 'commander';
import { cliActor, iso, withRuntime } from '../admin.ts';
import { print, table } from '../output.ts';

interface JsonOption {
  json?: boolean;
}

/** What may be shown of an agent: never the key hash. */
function publicAgent(agent: Agent) {
  return {
    id: agent.id,
    name: agent.name,
    status: agent.status,
    keyPrefix: agent.keyPrefix,
    createdAt: iso(agent.createdAt),
    updatedAt: iso(agent.updatedAt),
  };
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
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & { name: string }) => {
      const created = await withRuntime((rt) => rt.agents.create(options.name, cliActor()));
      printNewKey(options.json === true, created, 'created');
    });

  agents
    .command('list')
    .description('List agents (keys are never shown, only their prefix)')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption) => {
      const list = (await withRuntime((rt) => rt.agents.list(), { readOnly: true })).map(publicAgent);
      print(options.json === true, list, () =>
        list.length === 0
          ? 'no agents yet (create one with: agent-otp agents create --name NAME)'
          : table(
              ['ID', 'NAME', 'STATUS', 'KEY PREFIX', 'CREATED'],
              list.map((a) => [a.id, a.name, a.status, a.keyPrefix, a.createdAt]),
            ),
      );
    });

  agents
    .command('rotate')
    .description('Replace an agent’s API key; the old key stops working at once')
    .argument('<agent>', 'agent id (agt_…) or name')
    .option('--json', 'print JSON')
    .action(async (idOrName: string, options: JsonOption) => {
      const rotated = await withRuntime((rt) => rt.agents.rotate(idOrName, cliActor()));
      printNewKey(options.json === true, rotated, 'rotated the key of');
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
