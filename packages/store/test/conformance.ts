import { describe } from 'node:test';
import type { Store } from '@agent-otp/core';
import { agentKeyTests } from './conformance/agent-keys.ts';
import { agentTests, lifecycleTests } from './conformance/agents.ts';
import { deliveryTests, voteTests } from './conformance/approvals.ts';
import { atomicityTests } from './conformance/atomicity.ts';
import { auditTests } from './conformance/audit.ts';
import { auditStripeTests, type MakeStripedDatabase } from './conformance/audit-stripes.ts';
import { disableTests } from './conformance/disable.ts';
import type { MakeStore } from './conformance/fixtures.ts';
import { idempotencyTests } from './conformance/idempotency.ts';
import { permissionTests } from './conformance/permissions.ts';
import { policyVersionTests } from './conformance/policy-versions.ts';
import { raceTests } from './conformance/races.ts';
import { settingTests } from './conformance/settings.ts';
import { slackTests } from './conformance/slack.ts';
import { telegramTests } from './conformance/telegram.ts';
import { consumeTests, transitionTests } from './conformance/transitions.ts';
import { userTests } from './conformance/users.ts';
import { webhookTests } from './conformance/webhooks.ts';

export type { MakeStripedDatabase, StripedDatabase } from './conformance/audit-stripes.ts';
export type { MakeStore } from './conformance/fixtures.ts';

/**
 * The one suite every Store adapter must pass (SQLite and PostgreSQL): every port method,
 * fail-closed auditing, and the races the compare-and-set methods promise to win exactly once.
 *
 * `makeStore` must give a NEW, EMPTY store on each call (a fresh `:memory:` database, file or
 * schema); the suite migrates it, uses it for one test and closes it. `makeStripedDatabase`, when
 * given, must give a NEW, EMPTY database that can be opened by several connections with a chosen
 * audit stripe count and tampered with by raw SQL: the audit stripe and tampering tests use it.
 *
 * @example
 * runStoreConformance('sqlite :memory:', async () => createSqliteStore(':memory:'));
 */
export function runStoreConformance(
  name: string,
  makeStore: () => Promise<Store>,
  makeStripedDatabase?: MakeStripedDatabase,
): void {
  const make: MakeStore = makeStore;
  describe(`Store conformance: ${name}`, () => {
    lifecycleTests(make);
    agentTests(make);
    agentKeyTests(make);
    permissionTests(make);
    transitionTests(make);
    consumeTests(make);
    voteTests(make);
    deliveryTests(make);
    userTests(make);
    disableTests(make);
    atomicityTests(make);
    auditTests(make);
    if (makeStripedDatabase) auditStripeTests(makeStripedDatabase);
    raceTests(make);
    idempotencyTests(make);
    webhookTests(make);
    slackTests(make);
    telegramTests(make);
    settingTests(make);
    policyVersionTests(make);
  });
}
