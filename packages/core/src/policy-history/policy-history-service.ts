import type { Clock } from '../clock.ts';
import { AgentOtpError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Policy } from '../policy/types.ts';
import type { Store } from '../store.ts';
import type { Actor } from '../types.ts';
import { type DiffHunk, diffLines } from './line-diff.ts';
import type { PolicyOrigin, PolicyVersionPage, PolicyVersionRecord } from './types.ts';

export interface PolicyHistoryDeps {
  store: Store;
  clock: Clock;
}

/** Two versions and the hunks that turn the first into the second; `from` is null for the first version. */
export interface PolicyVersionDiff {
  from: PolicyVersionRecord | null;
  to: PolicyVersionRecord;
  hunks: DiffHunk[];
}

/** A policy version id as the loader makes them (see policy/load.ts). */
export const POLICY_VERSION_PATTERN = /^pol_[0-9a-f]{16}$/;

const SYSTEM: Actor = { type: 'system', id: 'server' };

/**
 * The versions of the policy the server has run. A version is recorded the first time any
 * instance puts it in force (later instances and reloads of the same text find it there); every
 * putting-in-force is an audit entry that names the version, never the source.
 */
export function createPolicyHistory({ store, clock }: PolicyHistoryDeps) {
  async function find(version: string): Promise<PolicyVersionRecord> {
    if (!POLICY_VERSION_PATTERN.test(version)) {
      throw new AgentOtpError('VALIDATION_ERROR', 'a policy version looks like pol_ and 16 hex digits', {
        field: 'version',
      });
    }
    const found = await store.getPolicyVersion(version);
    if (!found)
      throw new AgentOtpError('NOT_FOUND', `no policy version ${version} was recorded`, { field: 'version' });
    return found;
  }

  return {
    /**
     * Records that `policy` (loaded from `source`) is now in force on this server. Returns
     * whether this was the version's first time; recording the same version again only audits.
     */
    async recordInForce(
      policy: Pick<Policy, 'version' | 'rules'>,
      source: string,
      origin: PolicyOrigin,
      actor: Actor = SYSTEM,
    ): Promise<boolean> {
      const at = clock.now();
      return store.recordPolicyVersion(
        { version: policy.version, source, firstInForceAt: at, origin, actor, rules: policy.rules.length },
        (first) => ({
          id: newId('audit'),
          at,
          event: 'policy.in_force',
          actor,
          agentId: null,
          permissionId: null,
          policyVersion: policy.version,
          details: { origin, rules: policy.rules.length, firstTime: first },
        }),
      );
    },
    list(query: { limit: number; cursor?: string }): Promise<PolicyVersionPage> {
      return store.listPolicyVersions(query);
    },
    get: find,
    /**
     * The diff from `from` to `to`; without `from`, from the version recorded just before `to`
     * (none for the first version: every line is added).
     */
    async diff(to: string, from?: string, context = 3): Promise<PolicyVersionDiff> {
      const target = await find(to);
      const base = from === undefined ? await store.policyVersionBefore(target.version) : await find(from);
      return { from: base, to: target, hunks: diffLines(base?.source ?? '', target.source, context) };
    },
  };
}

export type PolicyHistory = ReturnType<typeof createPolicyHistory>;
