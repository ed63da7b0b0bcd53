#!/usr/bin/env node
// The agent-otp command. The sources are TypeScript, loaded through tsx so no build step is
// needed after `npm ci`.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
// Workspace packages that also ship built files (the SDK, which the MCP commands use) resolve to
// their sources under the `agent-otp-source` condition, as in the tests: no build needed here
// either. Registered after tsx, so it runs first and tsx resolves with the condition added.
registerHooks(
  `data:text/javascript,${encodeURIComponent(
    "export const resolve = (specifier, context, next) => next(specifier, { ...context, conditions: [...context.conditions, 'agent-otp-source'] });",
  )}`,
);
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
