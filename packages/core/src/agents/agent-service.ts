import { mintedBy } from '../audit/minted-by.ts';
import type { Clock } from '../clock.ts';
import { AgentOtpError } from '../errors.ts';
import type { PermissionEvents } from '../events.ts';
import { isId, newId } from '../ids.ts';
import { permissionEvent } from '../permissions/audit-events.ts';
import { displayPrefix, generateApiKey, looksLikeApiKey, type SecretHasher } from '../secrets.ts';
import type { AgentDisabled, Store } from '../store.ts';
import type { Actor, Agent, AuditEventInput, JsonObject } from '../types.ts';
import { MAX_GRACE_MS } from './agent-expiry.ts';
import type { AuthenticatedAgent } from './key-used.ts';

export interface AgentServiceDeps {
  store: Store;
  clock: Clock;
  hasher: SecretHasher;
  /** Waiting agents and the inbox learn here that a disable ended their requests. */
  events: PermissionEvents;
}

/** The reason recorded on the permissions a disable revokes or cancels. */
export const AGENT_DISABLED_REASON = 'the agent was disabled';

/** Agent names: letters, digits, dot, dash, underscore; they appear in policies as `agent`. */
const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The result of creating or rotating: the only moment the API key exists in plaintext. */
export interface AgentWithKey {
  agent: Agent;
  apiKey: string;
}

/** Agent identities and their API keys (SPEC §3). Keys are shown once and stored as HMACs. */
export function createAgentService({ store, clock, hasher, events }: AgentServiceDeps) {
  const event = (name: string, agent: Agent, actor: Actor, details: JsonObject = {}): AuditEventInput => ({
    id: newId('audit'),
    at: clock.now(),
    event: name,
    actor,
    agentId: agent.id,
    permissionId: null,
    policyVersion: null,
    details: { name: agent.name, ...details },
  });

  /** Finds an agent by id (`agt_…`) or by name. */
  async function find(idOrName: string): Promise<Agent> {
    const agent = isId('agent', idOrName)
      ? await store.getAgent(idOrName)
      : await store.getAgentByName(idOrName);
    if (!agent) throw new AgentOtpError('NOT_FOUND', `agent ${idOrName} not found`);
    return agent;
  }

  /** A new key: the plaintext for the caller once, and what the store keeps. */
  function mintKey() {
    const apiKey = generateApiKey();
    return { apiKey, keyHash: hasher.hash(apiKey), keyPrefix: displayPrefix(apiKey) };
  }

  /** Creates an agent; `expiresAt` (epoch ms, see resolveExpiry) ends its key at that time. */
  async function create(
    name: string,
    actor: Actor,
    options: { expiresAt?: number | null } = {},
  ): Promise<AgentWithKey> {
    if (!AGENT_NAME.test(name)) {
      throw new AgentOtpError(
        'VALIDATION_ERROR',
        'agent name must be 1-64 letters, digits, ".", "-" or "_", starting with a letter or digit',
        { field: 'name' },
      );
    }
    const { apiKey, keyHash, keyPrefix } = mintKey();
    const now = clock.now();
    const agent: Agent = {
      id: newId('agent'),
      name,
      status: 'active',
      keyHash,
      keyPrefix,
      expiresAt: options.expiresAt ?? null,
      previousKey: null,
      createdAt: now,
      updatedAt: now,
    };
    // Every key minted names who minted it (the entry's agentId says for whom).
    await store.createAgent(
      agent,
      event('agent.created', agent, actor, {
        keyPrefix,
        mintedBy: mintedBy(actor),
        ...(agent.expiresAt === null ? {} : { expiresAt: isoOrNull(agent.expiresAt) }),
      }),
    );
    return { agent, apiKey };
  }

  /**
   * Replaces the agent's key. With `graceMs` (at most MAX_GRACE_MS) the replaced key keeps
   * working until then beside the new one, so a fleet can switch without downtime; a rotation
   * always drops any older previous key, so at most one previous key ever exists.
   */
  async function rotate(
    idOrName: string,
    actor: Actor,
    options: { graceMs?: number } = {},
  ): Promise<AgentWithKey> {
    const graceMs = options.graceMs ?? 0;
    if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > MAX_GRACE_MS) {
      throw new AgentOtpError('VALIDATION_ERROR', 'grace must be from 0 to 24h', { field: 'grace' });
    }
    const agent = await find(idOrName);
    if (agent.status !== 'active' && graceMs > 0) {
      throw new AgentOtpError(
        'CONFLICT',
        `agent ${agent.name} is disabled: its old key gets no grace period`,
      );
    }
    const { apiKey, keyHash, keyPrefix } = mintKey();
    const now = clock.now();
    const graceUntil = graceMs > 0 ? now + graceMs : null;
    const updated = await store.updateAgentKey(
      agent.id,
      keyHash,
      keyPrefix,
      now,
      event('agent.key_rotated', agent, actor, {
        keyPrefix,
        mintedBy: mintedBy(actor),
        ...(graceUntil === null
          ? {}
          : { previousKeyPrefix: agent.keyPrefix, previousKeyValidUntil: isoOrNull(graceUntil) }),
      }),
      graceUntil,
    );
    if (!updated) throw new AgentOtpError('NOT_FOUND', `agent ${idOrName} not found`);
    return { agent: updated, apiKey };
  }

  /** Sets (epoch ms) or clears (null) when the agent's key stops working; audited as agent.expiry_set. */
  async function setExpiry(idOrName: string, expiresAt: number | null, actor: Actor): Promise<Agent> {
    const agent = await find(idOrName);
    const updated = await store.setAgentExpiry(
      agent.id,
      expiresAt,
      clock.now(),
      event('agent.expiry_set', agent, actor, {
        from: isoOrNull(agent.expiresAt),
        to: isoOrNull(expiresAt),
      }),
    );
    if (!updated) throw new AgentOtpError('NOT_FOUND', `agent ${idOrName} not found`);
    return updated;
  }

  /** Ends a rotation's grace period now: the previous key is refused from this moment. */
  async function revokePreviousKey(idOrName: string, actor: Actor): Promise<Agent> {
    const agent = await find(idOrName);
    const now = clock.now();
    const updated = await store.revokePreviousAgentKey(
      agent.id,
      now,
      event('agent.previous_key_revoked', agent, actor, {
        previousKeyPrefix: agent.previousKey?.prefix ?? null,
      }),
    );
    if (!updated) {
      throw new AgentOtpError('CONFLICT', `agent ${agent.name} has no previous key in a grace period`);
    }
    return updated;
  }

  /**
   * Disables an agent for good as far as its credentials go: its unspent tokens are revoked and
   * its pending requests cancelled in the same transaction, each audited, and waiters are told.
   */
  async function disable(idOrName: string, actor: Actor): Promise<AgentDisabled> {
    const agent = await find(idOrName);
    const now = clock.now();
    const reason = AGENT_DISABLED_REASON;
    const ended = await store.disableAgent(agent.id, now, reason, ({ revoked, cancelled }) => [
      event('agent.disabled', agent, actor, { revoked: revoked.length, cancelled: cancelled.length }),
      ...revoked.map((p) =>
        permissionEvent('permission.revoked', p, actor, now, { from: 'approved', reason }),
      ),
      ...cancelled.map((p) =>
        permissionEvent('permission.cancelled', p, actor, now, { from: 'pending', reason }),
      ),
    ]);
    if (!ended) throw new AgentOtpError('NOT_FOUND', `agent ${idOrName} not found`);
    for (const p of [...ended.revoked, ...ended.cancelled]) {
      events.publish({ permissionId: p.id, agentId: p.agentId, status: p.status, kind: p.status });
    }
    return ended;
  }

  /**
   * Enables a disabled agent with a NEW key, shown once: the key it had before the disable
   * never works again, so whoever took it while the agent was off gains nothing.
   */
  async function enable(idOrName: string, actor: Actor): Promise<AgentWithKey> {
    const agent = await find(idOrName);
    if (agent.status === 'active') {
      throw new AgentOtpError('CONFLICT', `agent ${agent.name} is already active; rotate its key instead`);
    }
    const { apiKey, keyHash, keyPrefix } = mintKey();
    const updated = await store.enableAgent(
      agent.id,
      keyHash,
      keyPrefix,
      clock.now(),
      event('agent.enabled', agent, actor, { keyPrefix, mintedBy: mintedBy(actor) }),
    );
    if (!updated) throw new AgentOtpError('NOT_FOUND', `agent ${idOrName} not found`);
    return { agent: updated, apiKey };
  }

  /**
   * The agent a presented API key belongs to. Unknown and malformed keys get the same answer;
   * the hash comparisons are constant-time. Every time-dependent rule (a previous key's grace,
   * the agent's expiry) is judged here against the record the store returned, not in the
   * lookup's SQL, so a cache of agent records in front of the store stays correct as time passes.
   */
  async function authenticate(apiKey: string): Promise<AuthenticatedAgent> {
    const refused = () => new AgentOtpError('UNAUTHORIZED', 'the API key is not valid');
    if (!looksLikeApiKey(apiKey)) throw refused();
    const agent = await store.getAgentByKeyHash(hasher.hash(apiKey));
    if (!agent) throw refused();
    const now = clock.now();
    const current = hasher.matches(apiKey, agent.keyHash);
    const previous = !current && agent.previousKey !== null && hasher.matches(apiKey, agent.previousKey.hash);
    if (!current && !previous) throw refused();
    // A previous key past its grace answers like any unknown key, as a replaced key did before.
    if (previous && (agent.previousKey?.expiresAt ?? 0) <= now) throw refused();
    if (agent.status !== 'active')
      throw new AgentOtpError('AGENT_DISABLED', `agent ${agent.name} is disabled`);
    if (agent.expiresAt !== null && agent.expiresAt <= now) {
      throw new AgentOtpError(
        'AGENT_EXPIRED',
        `agent ${agent.name} key expired at ${new Date(agent.expiresAt).toISOString()}`,
      );
    }
    return { ...agent, usedPreviousKey: previous };
  }

  return {
    create,
    rotate,
    find,
    list: () => store.listAgents(),
    disable,
    enable,
    setExpiry,
    revokePreviousKey,
    authenticate,
  };
}

export type AgentService = ReturnType<typeof createAgentService>;
