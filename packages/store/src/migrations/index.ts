import type { Migration } from 'kysely';
import * as initial from './001-initial.ts';
import * as approvalsUsers from './002-approvals-users.ts';
import * as scopeEnforcement from './003-scope-enforcement.ts';
import * as idempotencyKeys from './004-idempotency-keys.ts';
import * as settings from './005-settings.ts';
import * as auditStripes from './006-audit-stripes.ts';
import * as telegram from './007-telegram.ts';
import * as webhooksSlack from './008-webhooks-slack.ts';
import * as agentExpiryGrace from './009-agent-expiry-grace.ts';
import * as policyVersions from './010-policy-versions.ts';

/**
 * Migrations in the order they apply. Each is a file in this folder named `NNN-what.ts`; Kysely's
 * migrator records applied names in `kysely_migration` and takes a lock, so running twice (or
 * from two processes) applies each once.
 */
export const migrations: Record<string, Migration> = {
  '001-initial': initial,
  '002-approvals-users': approvalsUsers,
  '003-scope-enforcement': scopeEnforcement,
  '004-idempotency-keys': idempotencyKeys,
  '005-settings': settings,
  '006-audit-stripes': auditStripes,
  '007-telegram': telegram,
  '008-webhooks-slack': webhooksSlack,
  '009-agent-expiry-grace': agentExpiryGrace,
  '010-policy-versions': policyVersions,
};
