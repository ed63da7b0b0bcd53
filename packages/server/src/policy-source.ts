import { readFileSync, type StatWatcher, unwatchFile, watchFile } from 'node:fs';
import { basename } from 'node:path';
import { loadPolicy, type Policy } from '@agent-otp/core';
import type { Logger } from 'pino';

export interface PolicySource {
  current(): Policy;
  /** Re-reads the file; keeps the policy in force when the new text is invalid. */
  reload(): { ok: true; version: string; changed: boolean } | { ok: false; error: string };
  file: string;
  /** The last load error while the previous policy stays in force; null when the file is valid. */
  lastError(): string | null;
  close(): void;
}

/**
 * The policy file and its hot reload. The first load throws (an invalid file stops the start);
 * later edits that fail to load are refused and logged, and the previous policy stays.
 */
export function createPolicySource(
  file: string,
  logger: Logger,
  options: { watch: boolean; lenient?: boolean },
): PolicySource {
  const read = () => loadPolicy(readFileSync(file, 'utf8'), basename(file));
  // A valid file can still hold likely mistakes (see core's policy lint): said once per version.
  const warn = (loaded: Policy) => {
    for (const w of loaded.warnings) {
      logger.warn(
        { policyVersion: loaded.version, rule: w.rule, line: w.line, code: w.code },
        `policy warning: rule ${JSON.stringify(w.rule)}${w.line === null ? '' : ` (line ${w.line})`}: ${w.message}`,
      );
    }
  };
  let lastError: string | null = null;
  let policy: Policy;
  try {
    policy = read();
    warn(policy);
  } catch (error) {
    // Admin tools (the CLI) must keep working when the policy file is broken, say during an
    // incident: they get a policy that denies everything. The server itself refuses to start.
    if (!options.lenient) throw error;
    lastError = error instanceof Error ? error.message : String(error);
    logger.warn({ error: lastError }, 'policy file invalid; denying every request');
    policy = loadPolicy('[]', 'deny-all');
  }
  let watcher: StatWatcher | null = null;

  const source: PolicySource = {
    file,
    current: () => policy,
    lastError: () => lastError,
    reload() {
      try {
        const next = read();
        const changed = next.version !== policy.version;
        policy = next;
        lastError = null;
        if (changed) {
          logger.info({ policyVersion: next.version, rules: next.rules.length }, 'policy reloaded');
          warn(next);
        }
        return { ok: true, version: next.version, changed };
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        logger.error(
          { policyVersion: policy.version, error: lastError },
          'policy edit refused; previous policy kept',
        );
        return { ok: false, error: lastError };
      }
    },
    close() {
      if (watcher) unwatchFile(file);
      watcher = null;
    },
  };
  if (options.watch) {
    // Polling survives editors that replace the file (rename), which fs.watch loses track of.
    watcher = watchFile(file, { interval: 500, persistent: false }, (now, before) => {
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) source.reload();
    });
  }
  return source;
}
