/**
 * `@agent-otp/integrations`: one-time permissions for the tools of agent frameworks. Each
 * framework has its own entry, so installing one does not require the others:
 *
 * - `@agent-otp/integrations/langchain` — LangChain.js (`@langchain/core`)
 * - `@agent-otp/integrations/openai-agents` — OpenAI Agents SDK (`@openai/agents`)
 * - `@agent-otp/integrations/vercel-ai` — Vercel AI SDK (`ai`)
 *
 * This entry holds the framework-free core they share.
 *
 * @packageDocumentation
 */
export {
  detailsFor,
  type FromArgs,
  type Guarded,
  guardCall,
  type PermissionOptions,
  type Refusal,
  refusalOf,
  requestFor,
  settleAndRun,
} from './guard.ts';
