import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_POLICIES } from './default-policies.ts';

export interface DataDirSetup {
  serverSecret: Buffer;
  /** What first start created, to tell the operator. */
  created: string[];
}

/**
 * Prepares the data directory on first start: the directory itself (0700), a 256-bit server
 * secret (0600) that keys every token and API key hash, and a policies.yaml with the example
 * policies. Existing files are never overwritten.
 */
export function prepareDataDir(dataDir: string, policyFile: string): DataDirSetup {
  const created: string[] = [];
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    created.push(dataDir);
  }
  const secretFile = join(dataDir, 'server-secret');
  if (!existsSync(secretFile)) {
    writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    created.push(secretFile);
  }
  const serverSecret = Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'hex');
  if (serverSecret.length < 32) throw new Error(`${secretFile} does not hold a 256-bit hex secret`);
  if (!existsSync(policyFile)) {
    mkdirSync(dirname(policyFile), { recursive: true });
    writeFileSync(policyFile, DEFAULT_POLICIES, { flag: 'wx' });
    created.push(policyFile);
  }
  return { serverSecret, created };
}
