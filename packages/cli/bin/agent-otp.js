#!/usr/bin/env node
// The agent-otp command. The sources are TypeScript, loaded through tsx so no build step is
// needed after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
