import { checkPolicyText, type Policy, type PolicyExplanation, type PolicyWarning } from '@agent-otp/core';
import { Command } from 'commander';
import { loadConfig } from '../admin.ts';
import { CliError, print } from '../output.ts';
import { parseCases, parseRequestJson, readText } from '../policy-cases.ts';
import { runCases, testReport } from '../policy-test-run.ts';
import { addPolicyHistoryCommands } from './policy-history.ts';

/**
 * Policy tooling that needs no store and no server: check a file, explain a decision, run a
 * file of test cases. These are meant for CI, so results are exit codes: 0 ok, 1 anything else.
 * The history of what the server ran (history, show, diff) reads its store: policy-history.ts.
 */

interface FileOptions {
  file?: string;
  json?: boolean;
}

/** The policy to explain or test against: --file, or the configured policy file. */
async function loadPolicyFile(option: string | undefined): Promise<{ file: string; policy: Policy }> {
  // Only the configured default needs the server's config parser; --file stays light.
  const file = option ?? (await loadConfig()).policyFile;
  let text: string;
  try {
    text = readText(file, 'policy file');
  } catch (error) {
    // The default file only appears on the server's first start; say so instead of a bare ENOENT.
    if (option === undefined && error instanceof CliError) {
      throw new CliError(`${error.message} (the server writes it on first start; or pass --file)`);
    }
    throw error;
  }
  const checked = checkPolicyText(text, file);
  if (!checked.ok) throw new CliError(checked.error.message);
  return { file, policy: checked.policy };
}

function explainText(file: string, result: PolicyExplanation): string {
  const { rule } = result;
  const lines = [
    `decision: ${result.decision}`,
    `rule:     ${rule ? `${JSON.stringify(rule.name)} (priority ${rule.priority})` : 'none matched (default deny)'}`,
  ];
  // A rule that could not be compared against the request's values decided (three-valued logic).
  if (result.reason) lines.push(`reason:   could not compare ${result.reason}`);
  lines.push(`policy:   ${result.policyVersion} (${file})`);
  if (rule?.scopeTemplate) lines.push(`scope template: ${JSON.stringify(rule.scopeTemplate)}`);
  if (rule?.decision === 'require_approval') {
    const timeout = rule.approvalTimeout === null ? 'server default' : `${rule.approvalTimeout} s`;
    lines.push(`approvals: ${rule.approvals} (timeout: ${timeout})`);
  }
  const others = result.rules.filter((r) => !(r.rule === rule?.name && (r.matched || result.reason)));
  if (others.length > 0) {
    const header = result.reason
      ? 'other rules tried, in order:'
      : rule
        ? 'higher-priority rules that did not match:'
        : 'rules that did not match:';
    lines.push(header);
    for (const r of others) {
      const heading = `  ${JSON.stringify(r.rule)} (priority ${r.priority})`;
      if (r.matched) {
        lines.push(`${heading}: matched, but a stricter rule above it might match`);
      } else if (r.unknown) {
        lines.push(`${heading}: could not compare`);
        for (const why of r.unknown) lines.push(`    ? ${why}`);
      } else {
        lines.push(heading);
        for (const failure of r.failures) lines.push(`    - ${failure}`);
      }
    }
  }
  return lines.join('\n');
}

/** One warning as a compiler-style line: `file:line: rule "X": message`. */
function warningLine(file: string, w: PolicyWarning): string {
  return `warning: ${file}${w.line === null ? '' : `:${w.line}`}: rule ${JSON.stringify(w.rule)}: ${w.message}`;
}

export function policyCommand(): Command {
  const policy = new Command('policy').description(
    'Check, explain and test policy files; list, show and diff the versions the server has run',
  );

  policy
    .command('check')
    .description(
      'Load a policy file as the server would; exit 1 with file, rule and reason if invalid; warn about likely mistakes',
    )
    .argument('<file>', 'policy YAML file')
    .option('--json', 'print JSON')
    .action((file: string, options: FileOptions) => {
      const checked = checkPolicyText(readText(file, 'policy file'), file);
      if (!checked.ok) {
        const { error } = checked;
        if (!options.json) throw new CliError(error.message);
        print(true, { ok: false, file, rule: error.rule, reason: error.reason, line: error.line }, () => '');
        process.exitCode = 1;
        return;
      }
      const { version, rules, warnings } = checked.policy;
      print(
        options.json === true,
        { ok: true, file, version, rules: rules.length, warnings },
        () => `ok: ${rules.length} rule${rules.length === 1 ? '' : 's'}, version ${version}`,
      );
      // Warnings never fail the check; on stderr, so that stdout stays the one "ok" line.
      if (!options.json) for (const w of warnings) process.stderr.write(`${warningLine(file, w)}\n`);
    });

  policy
    .command('explain')
    .description('Show the decision for a request, the rule that matched and why higher rules did not')
    .requiredOption(
      '--request <json>',
      'request JSON: {action, resource?, scope?, context?, agent?, agentId?}',
    )
    .option('--file <file>', 'policy file (default: the configured policy file)')
    .option('--json', 'print JSON')
    .action(async (options: FileOptions & { request: string }) => {
      const input = parseRequestJson(options.request);
      const { file, policy: loaded } = await loadPolicyFile(options.file);
      const result = loaded.explain(input);
      print(options.json === true, { file, input, ...result }, () => explainText(file, result));
    });

  policy
    .command('test')
    .description('Run a YAML file of cases (request → expected decision and rule); exit 1 on any mismatch')
    .argument('<cases>', 'cases YAML file: a list of {name, request, expect, rule?}')
    .option('--file <file>', 'policy file (default: the configured policy file)')
    .option('--json', 'print JSON')
    .action(async (casesFile: string, options: FileOptions) => {
      const cases = parseCases(readText(casesFile, 'cases file'), casesFile);
      const { file, policy: loaded } = await loadPolicyFile(options.file);
      const report = runCases(loaded, cases);
      print(options.json === true, { file, ...report }, () => testReport(file, report));
      if (!report.ok) process.exitCode = 1;
    });

  addPolicyHistoryCommands(policy);
  return policy;
}
