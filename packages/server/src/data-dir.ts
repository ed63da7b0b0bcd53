import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_POLICIES } from './default-policies.ts';
import { type ModeChange, tightenMode } from './file-modes.ts';

export interface DataDirSetup {
  serverSecret: Buffer;
  /** What first start created, to tell the operator. */
  created: string[];
  /** Permissions narrowed on an existing directory or secret, to tell the operator. */
  tightened: ModeChange[];
}

/**
 * Prepares the data directory on first start: the directory itself (0700), a 256-bit server
 * secret (0600, `<dataDir>/server-secret` unless configured elsewhere) that keys every token and
 * API key hash, and a policies.yaml with the example
 * policies. Existing files are never overwritten, but a directory or secret left open to other
 * users (an older install, a copied backup) is narrowed to those modes.
 */
export function prepareDataDir(
  dataDir: string,
  policyFile: string,
  secretFile = join(dataDir, 'server-secret'),
): DataDirSetup {
  const created: string[] = [];
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    created.push(dataDir);
  }
  const tightened: ModeChange[] = [];
  const dirChange = tightenMode(dataDir, 0o700);
  if (dirChange) tightened.push(dirChange);
  if (!existsSync(secretFile)) {
    // A secret file outside the data directory (shared by several instances) gets its own 0700 parent.
    mkdirSync(dirname(secretFile), { recursive: true, mode: 0o700 });
    writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    created.push(secretFile);
  }
  const secretChange = tightenMode(secretFile, 0o600);
  if (secretChange) tightened.push(secretChange);
  const serverSecret = Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'hex');
  if (serverSecret.length < 32) throw new Error(`${secretFile} does not hold a 256-bit hex secret`);
  if (!existsSync(policyFile)) {
    mkdirSync(dirname(policyFile), { recursive: true });
    writeFileSync(policyFile, DEFAULT_POLICIES, { flag: 'wx' });
    created.push(policyFile);
  }
  return { serverSecret, created, tightened };
}
