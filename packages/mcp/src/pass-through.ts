import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CompleteRequestSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListPromptsResultSchema,
  ListResourcesRequestSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesRequestSchema,
  ListResourceTemplatesResultSchema,
  ListToolsRequestSchema,
  ListToolsResultSchema,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  type ServerCapabilities,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * Registers on `server` the requests that go to the wrapped server unchanged: the tool list,
 * and resources, prompts and completions when the wrapped server has them. Errors of the wrapped
 * server reach the client as they are (an McpError keeps its code).
 *
 * Only `tools/call` is guarded (in guard.ts). Reading a resource or getting a prompt is not:
 * the MCP guard's contract is about tools, which act; say so to whoever relies on it.
 */
export function passThrough(server: Server, upstream: Client, wrapped: ServerCapabilities): void {
  const forward =
    // biome-ignore lint/suspicious/noExplicitAny: every result schema of the SDK fits here.
    (schema: any) => (request: { method: string; params?: unknown }, extra: { signal: AbortSignal }) =>
      upstream.request({ method: request.method, params: request.params } as never, schema, {
        signal: extra.signal,
      });

  server.setRequestHandler(ListToolsRequestSchema, forward(ListToolsResultSchema));
  if (wrapped.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, forward(ListResourcesResultSchema));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, forward(ListResourceTemplatesResultSchema));
    server.setRequestHandler(ReadResourceRequestSchema, forward(ReadResourceResultSchema));
    if (wrapped.resources.subscribe) {
      server.setRequestHandler(SubscribeRequestSchema, forward(EmptyResultSchema));
      server.setRequestHandler(UnsubscribeRequestSchema, forward(EmptyResultSchema));
    }
  }
  if (wrapped.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, forward(ListPromptsResultSchema));
    server.setRequestHandler(GetPromptRequestSchema, forward(GetPromptResultSchema));
  }
  if (wrapped.completions) server.setRequestHandler(CompleteRequestSchema, forward(CompleteResultSchema));
}
