import {
  formatUnifiedDiff,
  POLICY_VERSION_PATTERN,
  type PolicyVersionSummary,
  type Store,
} from '@agent-otp/core';
import { type Command, InvalidArgumentError } from 'commander';
import { iso, withRuntime } from '../admin.ts';
import { CliError, print, table } from '../output.ts';

/**
 * The policy versions the server has run, read from its store: the list, one version's source,
 * and the diff between two. No server needs to run; nothing is written.
 */

const READ_ONLY = { readOnly: true };

function version(value: string): string {
  if (!POLICY_VERSION_PATTERN.test(value)) {
    throw new InvalidArgumentError('a policy version looks like pol_ and 16 hex digits');
  }
  return value;
}

/**
 * The version a server last put in force, from the audit log (a server records each time it
 * does); null before any server has run. With several instances, the last one to change wins.
 */
async function lastInForce(store: Store): Promise<string | null> {
  const [entry] = await store.listAudit({ event: 'policy.in_force', order: 'desc', limit: 1 });
  return entry?.policyVersion ?? null;
}

async function requireInForce(store: Store): Promise<string> {
  const found = await lastInForce(store);
  if (!found) throw new CliError('no policy version is recorded yet (the server records one when it starts)');
  return found;
}

async function userName(store: Store, v: PolicyVersionSummary): Promise<string> {
  if (v.actor.type !== 'user') return 'server';
  return (await store.getUser(v.actor.id))?.name ?? v.actor.id;
}

export function addPolicyHistoryCommands(policy: Command): void {
  policy
    .command('history')
    .description('List the policy versions the server has run, newest first')
    .option('--limit <n>', 'how many (1-1000)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000)
        throw new InvalidArgumentError('an integer from 1 to 1000');
      return n;
    })
    .option('--json', 'print JSON')
    .action(async (options: { limit?: number; json?: boolean }) => {
      const rows = await withRuntime(async (rt) => {
        const inForce = await lastInForce(rt.store);
        const page = await rt.policyHistory.list({ limit: options.limit ?? 50 });
        return Promise.all(
          page.items.map(async (v) => ({
            version: v.version,
            firstInForceAt: iso(v.firstInForceAt),
            origin: v.origin,
            by: await userName(rt.store, v),
            rules: v.rules,
            inForce: v.version === inForce,
          })),
        );
      }, READ_ONLY);
      print(options.json === true, rows, () =>
        rows.length === 0
          ? 'no policy version recorded yet'
          : table(
              ['VERSION', 'FIRST IN FORCE', 'ORIGIN', 'BY', 'RULES', ''],
              rows.map((r) => [
                r.version,
                r.firstInForceAt,
                r.origin,
                r.by,
                String(r.rules),
                r.inForce ? 'in force' : '',
              ]),
            ),
      );
    });

  policy
    .command('show')
    .description("Print a recorded version's YAML source (default: the version in force)")
    .option('--version <version>', 'the policy version (pol_…)', version)
    .option('--json', 'print JSON')
    .action(async (options: { version?: string; json?: boolean }) => {
      const found = await withRuntime(
        async (rt) => rt.policyHistory.get(options.version ?? (await requireInForce(rt.store))),
        READ_ONLY,
      );
      if (options.json) {
        print(true, { ...found, firstInForceAt: iso(found.firstInForceAt) }, () => '');
      } else {
        // The source as it was, byte for byte: no trailing newline added.
        process.stdout.write(found.source);
      }
    });

  policy
    .command('diff')
    .description('Show what changed between two recorded versions as a unified diff')
    .option('--from <version>', 'the older version (default: the one recorded before --to)', version)
    .option('--to <version>', 'the newer version (default: the version in force)', version)
    .option('--json', 'print JSON (the hunks)')
    .action(async (options: { from?: string; to?: string; json?: boolean }) => {
      const diff = await withRuntime(
        async (rt) => rt.policyHistory.diff(options.to ?? (await requireInForce(rt.store)), options.from),
        READ_ONLY,
      );
      const from = diff.from?.version ?? null;
      print(options.json === true, { from, to: diff.to.version, hunks: diff.hunks }, () =>
        diff.hunks.length === 0
          ? `no change between ${from} and ${diff.to.version}`
          : formatUnifiedDiff(diff.hunks, from ?? '/dev/null', diff.to.version).trimEnd(),
      );
    });
}
