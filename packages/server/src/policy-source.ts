import {
  readFileSync,
  renameSync,
  rmSync,
  type StatWatcher,
  statSync,
  unwatchFile,
  watchFile,
  writeFileSync,
} from 'node:fs';
import { basename } from 'node:path';
import { type Actor, checkPolicyText, loadPolicy, type Policy, type PolicyOrigin } from '@agent-otp/core';
import type { Logger } from 'pino';

/** A policy that has just gone into force on this server, with the text it was loaded from. */
export interface PolicyInForce {
  policy: Policy;
  source: string;
  origin: PolicyOrigin;
  /** The user of a dashboard edit; absent for the file at start and its reloads. */
  actor?: Actor;
}

export type PolicyEdit = { ok: true; version: string; changed: boolean } | { ok: false; error: string };

export interface PolicySource {
  current(): Policy;
  /** The text the policy in force was loaded from. */
  source(): string;
  /** Re-reads the file; keeps the policy in force when the new text is invalid. */
  reload(): PolicyEdit;
  /**
   * Replaces the file with `text` and puts it in force at once, when it is a valid policy; an
   * invalid text is refused before anything is written, and the policy in force stays.
   * With `expectedVersion`, refused unless that version is still the one in force (an edit made
   * on a page opened before someone else's edit must not silently undo it). Resolves once the
   * new version is recorded (see `onInForce`).
   */
  replace(text: string, actor: Actor, expectedVersion?: string): Promise<PolicyEdit>;
  file: string;
  /** The last load error while the previous policy stays in force; null when the file is valid. */
  lastError(): string | null;
  close(): void;
}

export interface PolicySourceOptions {
  watch: boolean;
  lenient?: boolean;
  /**
   * Called each time another version goes into force after the first load (a reload or an
   * edit); the caller records the start itself. A failure is logged: the policy stays in force.
   */
  onInForce?: (change: PolicyInForce) => Promise<unknown>;
}

/**
 * The policy file and its hot reload. The first load throws (an invalid file stops the start);
 * later edits that fail to load are refused and logged, and the previous policy stays.
 */
export function createPolicySource(file: string, logger: Logger, options: PolicySourceOptions): PolicySource {
  const load = (text: string) => loadPolicy(text, basename(file));
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
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
    policy = load(text);
    warn(policy);
  } catch (error) {
    // Admin tools (the CLI) must keep working when the policy file is broken, say during an
    // incident: they get a policy that denies everything. The server itself refuses to start.
    if (!options.lenient) throw error;
    lastError = error instanceof Error ? error.message : String(error);
    logger.warn({ error: lastError }, 'policy file invalid; denying every request');
    text = '[]';
    policy = loadPolicy(text, 'deny-all');
  }
  let watcher: StatWatcher | null = null;

  /** Puts a loaded policy in force; tells onInForce when its version differs from the last. */
  const enforce = (next: Policy, nextText: string, origin: PolicyOrigin, actor?: Actor) => {
    const changed = next.version !== policy.version;
    policy = next;
    text = nextText;
    lastError = null;
    if (!changed) return { changed, recorded: Promise.resolve() };
    logger.info({ policyVersion: next.version, rules: next.rules.length, origin }, 'policy in force');
    warn(next);
    const recorded = (
      options.onInForce?.({ policy: next, source: nextText, origin, actor }) ?? Promise.resolve()
    )
      .then(() => undefined)
      .catch((error: unknown) => {
        logger.error(
          { policyVersion: next.version, err: error instanceof Error ? error.message : String(error) },
          'policy version in force but not recorded in its history',
        );
      });
    return { changed, recorded };
  };

  const source: PolicySource = {
    file,
    current: () => policy,
    source: () => text,
    lastError: () => lastError,
    reload() {
      try {
        const nextText = readFileSync(file, 'utf8');
        const next = load(nextText);
        const { changed } = enforce(next, nextText, 'reload');
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
    async replace(nextText, actor, expectedVersion) {
      if (expectedVersion !== undefined && expectedVersion !== policy.version) {
        return {
          ok: false,
          error: `the policy in force is now ${policy.version}, not ${expectedVersion}: reload the page and edit that version`,
        };
      }
      const checked = checkPolicyText(nextText, basename(file));
      if (!checked.ok) return { ok: false, error: checked.error.message };
      // Written beside the file and renamed over it, so a reader (another instance's watcher)
      // never sees half a file; the new file keeps the old one's permission bits.
      const temporary = `${file}.${process.pid}.tmp`;
      try {
        writeFileSync(temporary, nextText, { mode: statSync(file).mode & 0o777 });
        renameSync(temporary, file);
      } catch (error) {
        // A read-only mount (a ConfigMap, say): the edit is refused; the file and policy stay.
        try {
          rmSync(temporary, { force: true });
        } catch {
          // Not a file of ours (the path was taken by something else): leave it.
        }
        const reason =
          (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : 'error');
        logger.error({ file, reason }, 'policy edit not saved: the policy file cannot be written');
        return { ok: false, error: `the policy file ${file} cannot be written (${reason}); nothing changed` };
      }
      // In force before this function yields, so the watcher finds nothing new to load.
      const { changed, recorded } = enforce(checked.policy, nextText, 'dashboard', actor);
      await recorded;
      return { ok: true, version: checked.policy.version, changed };
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
