import { Command, InvalidArgumentError, Option } from 'commander';
import { type ApiOptions, apiClient, DEFAULT_URL } from '../api-client.ts';
import {
  type Approval,
  approvalsTable,
  approvalText,
  type Decision,
  decisionText,
} from '../approval-view.ts';
import { CliError, print } from '../output.ts';

/**
 * Decide pending requests from a terminal. Unlike `agents` and `users` these talk to a running
 * server over HTTP, authenticated as a user with a personal token, so the decision is the same
 * one the dashboard makes: it wakes the waiting agent, counts toward a quorum and is audited
 * under that user's name.
 */

interface Options extends ApiOptions {
  json?: boolean;
}

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled', 'used', 'revoked'];
const PAGE = 200; // the API's largest page

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"max_amount":100}\'');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"max_amount":100}\'');
  return parsed as Record<string, unknown>;
}

/** The options every subcommand shares: where the server is and who is asking. */
function apiCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .option('--url <url>', `server URL (default: $AGENT_OTP_URL or ${DEFAULT_URL})`)
    .option(
      '--token <token>',
      'user token uat_… (default: $AGENT_OTP_TOKEN; prefer the variable: --token shows in process lists)',
    )
    .option('--json', 'print JSON');
}

const path = (id: string, action = '') => `/approvals/${encodeURIComponent(id)}${action}`;

export function approvalsCommand(): Command {
  const approvals = new Command('approvals').description(
    'List, inspect, approve and deny requests on a running server (as a user: AGENT_OTP_TOKEN)',
  );

  approvals.addCommand(
    apiCommand('list', 'List requests, newest first (pending by default)')
      .addOption(new Option('--status <status>', 'which requests').choices(STATUSES).default('pending'))
      .option('--limit <n>', 'at most this many', integer(1, 10_000), 50)
      .action(async (options: Options & { status: string; limit: number }) => {
        const api = apiClient(options);
        const list: Approval[] = [];
        let cursor: string | null | undefined;
        do {
          const query = new URLSearchParams({
            status: options.status,
            limit: String(Math.min(PAGE, options.limit - list.length)),
            ...(cursor ? { cursor } : {}),
          });
          const page = await api.get<Approval[]>(`/approvals?${query}`);
          list.push(...page.data);
          cursor = page.nextCursor;
        } while (cursor && list.length < options.limit);
        print(options.json === true, list, () =>
          list.length === 0 ? `no ${options.status} requests` : approvalsTable(list),
        );
        if (cursor) process.stderr.write(`showing the first ${list.length}; more with --limit\n`);
      }),
  );

  approvals.addCommand(
    apiCommand('show', 'Show one request in full: context, scope to grant, votes')
      .argument('<id>', 'request id (perm_…)')
      .action(async (id: string, options: Options) => {
        const { data } = await apiClient(options).get<Approval>(path(id));
        print(options.json === true, data, () => approvalText(data));
      }),
  );

  approvals.addCommand(
    apiCommand('approve', 'Approve a request (or cast one vote of a quorum), optionally narrowing it')
      .argument('<id>', 'request id (perm_…)')
      .option('--scope <json>', 'narrow the scope to grant (a JSON object; can never widen it)', jsonObject)
      .option('--ttl <seconds>', 'shorten the token lifetime', integer(30, 3600))
      .option('--reason <reason>', 'why, for the audit log')
      .action(async (id: string, options: Options & { scope?: object; ttl?: number; reason?: string }) => {
        const { scope, ttl, reason } = options;
        const decision = await apiClient(options).post<Decision>(path(id, '/approve'), {
          scope,
          ttl,
          reason,
        });
        print(options.json === true, decision, () => decisionText(decision));
      }),
  );

  approvals.addCommand(
    apiCommand('deny', 'Deny a request; one deny is final, whatever the quorum')
      .argument('<id>', 'request id (perm_…)')
      .option('--reason <reason>', 'why: the agent receives it')
      .action(async (id: string, options: Options & { reason?: string }) => {
        const decision = await apiClient(options).post<Decision>(path(id, '/deny'), {
          reason: options.reason,
        });
        // The deny vote can lose a race to a final approval (or the deadline): it was recorded,
        // but the request is not denied, and a script must not take it as denied.
        if (decision.outcome !== 'denied') {
          throw new CliError(`${id} was not denied: it is already ${decision.approval.permission.status}`);
        }
        print(options.json === true, decision, () => decisionText(decision));
      }),
  );

  return approvals;
}
