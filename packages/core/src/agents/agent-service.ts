import type { Clock } from '../clock.ts';
import { AgentOtpError } from '../errors.ts';
import { isId, newId } from '../ids.ts';
import { displayPrefix, generateApiKey, looksLikeApiKey, type SecretHasher } from '../secrets.ts';
import type { Store } from '../store.ts';
import type { Actor, Agent, AgentStatus, AuditEventInput, JsonObject } from '../types.ts';

export interface AgentServiceDeps {
  store: Store;
  clock: Clock;
  hasher: SecretHasher;
}

/** Agent names: letters, digits, dot, dash, underscore; they appear in policies as `agent`. */
const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The result of creating or rotating: the only moment the API key exists in plaintext. */
export interface AgentWithKey {
  agent: Agent;
  apiKey: string;
}

/** Agent identities and their API keys (SPEC §3). Keys are shown once and stored as HMACs. */
export function createAgentService({ store, clock, hasher }: AgentServiceDeps) {
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

  async function create(name: string, actor: Actor): Promise<AgentWithKey> {
    if (!AGENT_NAME.test(name)) {
      throw new AgentOtpError(
        'VALIDATION_ERROR',
        'agent name must be 1-64 letters, digits, ".", "-" or "_", starting with a letter or digit',
        { field: 'name' },
      );
    }
    const apiKey = generateApiKey();
    const now = clock.now();
    const agent: Agent = {
      id: newId('agent'),
      name,
      status: 'active',
      keyHash: hasher.hash(apiKey),
      keyPrefix: displayPrefix(apiKey),
      createdAt: now,
      updatedAt: now,
    };
    await store.createAgent(agent, event('agent.created', agent, actor));
    return { agent, apiKey };
  }

  async function rotate(idOrName: string, actor: Actor): Promise<AgentWithKey> {
    const agent = await find(idOrName);
    const apiKey = generateApiKey();
    const updated = await store.updateAgentKey(
      agent.id,
      hasher.hash(apiKey),
      displayPrefix(apiKey),
      clock.now(),
      event('agent.key_rotated', agent, actor, { keyPrefix: displayPrefix(apiKey) }),
    );
    if (!updated) throw new AgentOtpError('NOT_FOUND', `agent ${idOrName} not found`);
    return { agent: updated, apiKey };
  }

  async function setStatus(idOrName: string, status: AgentStatus, actor: Actor): Promise<Agent> {
    const agent = await find(idOrName);
    const name = status === 'disabled' ? 'agent.disabled' : 'agent.enabled';
    const updated = await store.setAgentStatus(agent.id, status, clock.now(), event(name, agent, actor));
    if (!updated) throw new AgentOtpError('NOT_FOUND', `agent ${idOrName} not found`);
    return updated;
  }

  /**
   * The agent a presented API key belongs to. Unknown and malformed keys get the same answer;
   * the hash comparison is constant-time.
   */
  async function authenticate(apiKey: string): Promise<Agent> {
    if (!looksLikeApiKey(apiKey)) throw new AgentOtpError('UNAUTHORIZED', 'the API key is not valid');
    const agent = await store.getAgentByKeyHash(hasher.hash(apiKey));
    if (!agent || !hasher.matches(apiKey, agent.keyHash)) {
      throw new AgentOtpError('UNAUTHORIZED', 'the API key is not valid');
    }
    if (agent.status !== 'active')
      throw new AgentOtpError('AGENT_DISABLED', `agent ${agent.name} is disabled`);
    return agent;
  }

  return {
    create,
    rotate,
    find,
    list: () => store.listAgents(),
    disable: (idOrName: string, actor: Actor) => setStatus(idOrName, 'disabled', actor),
    enable: (idOrName: string, actor: Actor) => setStatus(idOrName, 'active', actor),
    authenticate,
  };
}

export type AgentService = ReturnType<typeof createAgentService>;
