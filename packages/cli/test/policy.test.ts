import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type RunResult, run, runtimeFor, tempDir } from './helpers.ts';

const temp = tempDir();
const dataDir = join(temp.dir, 'data');
after(() => temp.remove());

const file = (name: string, text: string): string => {
  const path = join(temp.dir, name);
  writeFileSync(path, text);
  return path;
};

const BAD_POLICY = `- name: "Reads"
  conditions:
    action: { starts_with: "file." }
  action: auto_approve
`;

const PASSING_CASES = `- name: small reads are auto-approved
  request: { action: file.read, scope: { size_limit: 1024 } }
  expect: auto_approve
  rule: Auto-approve file reads
- name: transfers need approval
  request: { action: bank.transfer, context: { amount: 10 } }
  expect: require_approval
- name: unknown actions are denied
  request: { action: shell.exec }
  expect: deny
  rule: Default deny
`;

const FAILING_CASES = `- name: big reads are auto-approved
  request: { action: file.read, scope: { size_limit: 5000000 } }
  expect: auto_approve
  rule: Auto-approve file reads
- name: transfers need approval
  request: { action: bank.transfer }
  expect: require_approval
`;

/** Runs several independent invocations at once: each spawn costs a tsx start-up. */
const all = <T extends readonly Promise<RunResult>[]>(...runs: T) => Promise.all(runs);

before(async () => {
  // The first start writes the default policies.yaml; the CLI's policy commands read it by default.
  await (await runtimeFor(dataDir)).close();
});

test('policy check: ok on the default file, file/rule/reason on a bad one', async () => {
  const bad = file('bad.yaml', BAD_POLICY);
  const [ok, failed, failedJson] = await all(
    run(['policy', 'check', join(dataDir, 'policies.yaml')], dataDir),
    run(['policy', 'check', bad], dataDir),
    run(['policy', 'check', bad, '--json'], dataDir),
  );
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: 4 rules, version pol_[0-9a-f]{16}\n$/);

  assert.equal(failed.code, 1);
  assert.equal(failed.stdout, '');
  assert.equal(failed.stderr.split('\n').length, 2, 'one line');
  assert.ok(failed.stderr.startsWith(`agent-otp: ${bad}:1: rule "Reads": `), failed.stderr);
  assert.match(failed.stderr, /unknown operator "starts_with"/);

  assert.equal(failedJson.code, 1);
  const report = JSON.parse(failedJson.stdout);
  assert.equal(report.ok, false);
  assert.equal(report.rule, 'Reads');
  assert.equal(report.line, 1);
  assert.match(report.reason, /unknown operator "starts_with"/);
});

test('policy explain: decision, matching rule, and why higher rules did not match', async () => {
  const [read, email, bank, invalid] = await all(
    run(['policy', 'explain', '--request', '{"action":"file.read","scope":{"size_limit":100}}'], dataDir),
    run(
      ['policy', 'explain', '--request', '{"action":"gmail.send","context":{"recipient":"x@evil.example"}}'],
      dataDir,
    ),
    run(['policy', 'explain', '--request', '{"action":"bank.transfer","agent":"payer"}', '--json'], dataDir),
    run(['policy', 'explain', '--request', '{"action":"file.read","size":1}'], dataDir),
  );
  assert.equal(read.code, 0, read.stderr);
  assert.match(read.stdout, /^decision: auto_approve$/m);
  assert.match(read.stdout, /^rule: +"Auto-approve file reads" \(priority 0\)$/m);
  assert.match(read.stdout, /"Financial operations require approval" \(priority 100\)\n +- action: .*start/);

  assert.equal(email.code, 0, email.stderr);
  assert.match(email.stdout, /^decision: deny$/m);
  assert.match(email.stdout, /^rule: +"Default deny"/m);
  assert.match(email.stdout, /"Auto-approve internal emails" \(priority 0\)\n +- context\.recipient: /);

  assert.equal(bank.code, 0, bank.stderr);
  const explained = JSON.parse(bank.stdout);
  assert.equal(explained.decision, 'require_approval');
  assert.equal(explained.rule.name, 'Financial operations require approval');
  assert.deepEqual(explained.rules, [
    { rule: 'Financial operations require approval', priority: 100, matched: true, failures: [] },
  ]);
  assert.equal(explained.input.agent, 'payer');
  assert.equal(explained.input.agentId, 'agt_example');

  assert.equal(invalid.code, 1);
  assert.equal(
    invalid.stderr,
    'agent-otp: --request: unknown request key "size" (known: action, resource, scope, context, agent, agentId)\n',
  );
});

test('policy test: PASS per case, exit 0', async () => {
  const result = await run(['policy', 'test', file('pass.yaml', PASSING_CASES)], dataDir);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^PASS {2}small reads are auto-approved$/m);
  assert.match(result.stdout, /^PASS {2}transfers need approval$/m);
  assert.match(result.stdout, /^3 cases: 3 passed, 0 failed/m);
});

test('policy test: a mismatch shows expected vs actual and exits 1', async () => {
  const cases = file('fail.yaml', FAILING_CASES);
  const [human, json] = await all(
    run(['policy', 'test', cases, '--file', join(dataDir, 'policies.yaml')], dataDir),
    run(['policy', 'test', cases, '--json'], dataDir),
  );
  assert.equal(human.code, 1);
  assert.match(human.stdout, /^FAIL {2}big reads are auto-approved \(line 1\)$/m);
  assert.match(human.stdout, /- expected: auto_approve by "Auto-approve file reads"/);
  assert.match(human.stdout, /\+ actual: +deny by "Default deny"/);
  assert.match(human.stdout, /"Auto-approve file reads" did not match:\n +- scope\.size_limit: /);
  assert.match(human.stdout, /^PASS {2}transfers need approval$/m);
  assert.match(human.stdout, /^2 cases: 1 passed, 1 failed/m);

  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, false);
  assert.deepEqual(report.cases[0].expected, { decision: 'auto_approve', rule: 'Auto-approve file reads' });
  assert.deepEqual(report.cases[0].actual, { decision: 'deny', rule: 'Default deny' });
});

test('policy test: an invalid cases file names the case and the problem', async () => {
  const cases = file(
    'invalid.yaml',
    `- name: first\n  request: { action: a }\n  expect: deny\n- name: second\n  request: { action: b }\n  expect: approve\n`,
  );
  const result = await run(['policy', 'test', cases], dataDir);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `agent-otp: ${cases}: case "second" (line 4): "expect" must be one of auto_approve, require_approval, deny, got "approve"\n`,
  );
});

const WARNED_POLICY = `- name: "Transfers denied when big"
  conditions:
    action: { equals: "bank.transfer" }
    context.amount: { greaterThan: 1000 }
  action: deny
  priority: 10

- name: "Internal emails"
  conditions:
    action: { equals: "gmail.send" }
    context.recipient: { matches: "@mycompany\\\\.com$" }
  action: auto_approve

- name: "Transfers"
  conditions: { action: { startsWith: "bank." } }
  action: auto_approve
`;

test('finding 4: policy check warns (exit 0) about unanchored regexes and unbound context', async () => {
  const warned = file('warned.yaml', WARNED_POLICY);
  const [human, json] = await all(
    run(['policy', 'check', warned], dataDir),
    run(['policy', 'check', warned, '--json'], dataDir),
  );
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^ok: 3 rules, version pol_[0-9a-f]{16}\n$/);
  const lines = human.stderr.trim().split('\n');
  assert.equal(lines.length, 2, human.stderr);
  assert.match(
    lines[0] ?? '',
    /^warning: .*warned\.yaml:8: rule "Internal emails": matches "@mycompany.*not anchored/,
  );
  assert.match(lines[1] ?? '', /^warning: .*warned\.yaml:8: rule "Internal emails": .*context\.recipient/);

  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(
    report.warnings.map((w: { code: string; rule: string; line: number }) => [w.code, w.rule, w.line]),
    [
      ['UNANCHORED_MATCHES', 'Internal emails', 8],
      ['UNBOUND_CONTEXT', 'Internal emails', 8],
    ],
  );
});

test('finding 6: policy explain shows the rule that could not compare a value, and why', async () => {
  const policy = file('typed.yaml', WARNED_POLICY);
  const request = '{"action":"bank.transfer","context":{"amount":"5000"}}';
  const [human, json] = await all(
    run(['policy', 'explain', '--file', policy, '--request', request], dataDir),
    run(['policy', 'explain', '--file', policy, '--request', request, '--json'], dataDir),
  );
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^decision: deny$/m);
  assert.match(human.stdout, /^rule: +"Transfers denied when big" \(priority 10\)$/m);
  assert.match(
    human.stdout,
    /^reason: +could not compare context\.amount: "5000" is not a number \(greaterThan 1000\) in rule "Transfers denied when big"$/m,
  );
  const explained = JSON.parse(json.stdout);
  assert.equal(explained.decision, 'deny');
  assert.match(explained.reason, /^context\.amount: "5000" is not a number/);
  assert.deepEqual(explained.rules[0].unknown, ['context.amount: "5000" is not a number (greaterThan 1000)']);
});
