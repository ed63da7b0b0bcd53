import { loadPolicy, type PolicyInput } from '@agent-otp/core';

/**
 * How the benchmark's rules name their action:
 * - `fixed`: each rule names one action exactly (`equals`), the common case, which the engine's
 *   action index serves with a map lookup instead of a scan;
 * - `open`: no rule fixes its action, each requires a prefix (`startsWith`), which the index
 *   serves by looking up the prefixes of the request's action;
 * - `any`, `all`, `not`, `matches`: the action test hidden in a condition tree, which the index
 *   follows (action-key.ts): each branch of an `any` pins the action; one part of an `all` does;
 *   a `not` of `notIn`; an anchored pattern with a literal prefix;
 * - `unindexed`: each rule's `any` has a branch that says nothing of the action (it holds for an
 *   agent of any action), so the action index can skip none; the rules are found by the union
 *   of their action prefix and their agent instead (field-key.ts);
 * - `agent`: no action test at all; each rule names its agent by name or id prefix;
 * - `resource`: no action test; each rule names its resource by prefix or its agent;
 * - `params`: only comparisons of `scope`/`context` values, which no index serves: every
 *   decision tests every rule, the worst case.
 */
export type PolicyVariant =
  | 'fixed'
  | 'open'
  | 'any'
  | 'all'
  | 'not'
  | 'matches'
  | 'unindexed'
  | 'agent'
  | 'resource'
  | 'params';

const ACTION_CONDITION: Record<PolicyVariant, (i: number) => string> = {
  fixed: (i) => `action: { equals: "service${i}.call" }`,
  open: (i) => `action: { startsWith: "svc${i}." }`,
  any: (i) =>
    `any: [{ action: { startsWith: "svc${i}." } }, { action: { equals: "legacy${i}" }, agent: { equals: "agent${i}" } }]`,
  all: (i) =>
    `all: [{ agent: { notEquals: "agent${i}" } }, { any: [{ action: { startsWith: "svc${i}.read" } }, { action: { startsWith: "svc${i}.list" } }] }]`,
  not: (i) =>
    `not: { any: [{ action: { notIn: ["svc${i}.a", "svc${i}.b"] } }, { agent: { equals: "agent${i}" } }] }`,
  matches: (i) => `action: { matches: "^svc${i}\\\\.(read|write)$" }`,
  unindexed: (i) => `any: [{ action: { startsWith: "svc${i}." } }, { agent: { equals: "agent${i}" } }]`,
  agent: (i) => `any: [{ agent: { equals: "agent${i}" } }, { agentId: { startsWith: "agt_${i}_" } }]`,
  resource: (i) =>
    `any: [{ resource: { startsWith: "db:/t${i}/" } }, { agent: { in: ["ops${i}", "admin${i}"] } }]`,
  params: (i) => `context.ticket: { equals: "T-${i}" }`,
};

function rule(i: number, ruleCount: number, variant: PolicyVariant): string {
  return `- name: "rule ${i}"
  conditions:
    ${ACTION_CONDITION[variant](i)}
    scope.amount: { lessThan: ${i * 10} }
    context.reason: { matches: "^ticket-${i}-[0-9]+$" }
  action: ${i % 3 === 0 ? 'deny' : 'auto_approve'}
  priority: ${ruleCount - i}`;
}

/**
 * Time of one policy decision with `ruleCount` rules where the match is the last rule tried,
 * so every decision scans all the rules the engine cannot rule out (the worst case short of no
 * match at all).
 */
export function benchPolicyDecisions(ruleCount: number, variant: PolicyVariant = 'fixed', samples = 20000) {
  const rules: string[] = [];
  for (let i = 0; i < ruleCount - 1; i++) rules.push(rule(i, ruleCount, variant));
  rules.push(`- name: "fallback"
  conditions: { any: [{ action: { startsWith: "file." } }, { resource: { endsWith: ".txt" } }] }
  action: auto_approve
  priority: -1`);
  const policy = loadPolicy(rules.join('\n'), 'bench.yaml');
  const input: PolicyInput = {
    action: 'file.read',
    resource: 'file:/data/notes.txt',
    scope: { amount: 5 },
    context: { reason: 'ticket-12-345' },
    agent: 'bench',
    agentId: 'agt_bench',
  };
  for (let i = 0; i < 2000; i++) policy.evaluate(input); // warm up the JIT
  const times = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    const result = policy.evaluate(input);
    times[i] = Number(process.hrtime.bigint() - started) / 1000;
    if (result.rule?.name !== 'fallback') throw new Error('the benchmark policy matched the wrong rule');
  }
  times.sort();
  const at = (q: number) => Math.round((times[Math.floor(q * (samples - 1))] ?? 0) * 100) / 100;
  const started = process.hrtime.bigint();
  for (let i = 0; i < samples; i++) policy.evaluate(input);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { p50_us: at(0.5), p99_us: at(0.99), decisions_per_s: Math.round(samples / seconds) };
}
