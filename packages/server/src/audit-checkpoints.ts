import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type AuditAnchor,
  type CheckpointLog,
  type CheckpointOutcome,
  type Clock,
  createAuditCheckpointer,
  type Store,
} from '@agent-otp/core';
import type { Logger } from 'pino';

/** A checkpoint is due after this many new entries, or after the configured interval. */
const EVERY_ENTRIES = 1000;
/** How often the heads are looked at (at most): a few indexed reads per stripe when nothing happened. */
const POLL_MS = 1000;

/**
 * The checkpoint log as a file of JSON lines (mode 0600). Each append is written and flushed to
 * disk before it returns. The file stays bounded: past `2 × keep` lines it is rewritten with the
 * newest `keep` (a temporary file renamed over it, so a reader or a crash sees the old or the new
 * file whole). Dropping old lines loses nothing: each checkpoint is signed only over a chain
 * verified to continue the one before, so the newest vouches for every entry up to it.
 */
export function createCheckpointFile(path: string, keep = 500): CheckpointLog {
  let count: number | null = null;

  /**
   * The complete lines. A last line without its newline is an append still in progress (or one a
   * crash cut short): it is not a checkpoint yet, so it is left out rather than read as garbage.
   */
  async function read(): Promise<string[] | null> {
    try {
      const text = await readFile(path, 'utf8');
      const end = text.lastIndexOf('\n');
      return end < 0 ? [] : text.slice(0, end).split('\n');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async function write(file: string, flag: 'a' | 'w', text: string): Promise<void> {
    const handle = await open(file, flag, 0o600);
    try {
      await handle.writeFile(text);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  async function compact(): Promise<void> {
    const kept = ((await read()) ?? []).filter((line) => line.trim() !== '').slice(-keep);
    const temp = `${path}.tmp`;
    await write(temp, 'w', kept.map((line) => `${line}\n`).join(''));
    await chmod(temp, 0o600);
    await rename(temp, path);
    count = kept.length;
  }

  return {
    location: path,
    read,
    async append(line) {
      if (count === null) {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        count = (await read())?.length ?? 0;
      }
      await write(path, 'a', `${line}\n`);
      count += 1;
      if (count > 2 * keep) await compact();
    },
  };
}

export interface AuditCheckpoints {
  /** Stops the timer and signs the head as it is now (graceful shutdown). */
  stop(): Promise<CheckpointOutcome | null>;
  /** Stops the timer and waits for a run in progress, writing nothing more (the lease was lost). */
  halt(): Promise<void>;
}

/**
 * Keeps the checkpoint log current: a timer looks at the head (never the request path) and
 * signs it every `EVERY_ENTRIES` entries or `intervalMs`, whichever comes first. When the chain
 * no longer continues the last checkpoint, nothing more is signed and the error is logged (once
 * until it is resolved).
 */
export function startAuditCheckpoints(deps: {
  store: Store;
  anchor: AuditAnchor;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
}): AuditCheckpoints {
  const { logger } = deps;
  const checkpointer = createAuditCheckpointer({ ...deps, everyEntries: EVERY_ENTRIES });
  let divergence: string | null = null;
  const report = (outcome: CheckpointOutcome) => {
    if (outcome.status === 'diverged') {
      // Once when it starts, not on every tick while it lasts.
      if (divergence === null) {
        logger.error(
          { reason: outcome.reason, checkpoints: deps.anchor.log.location },
          'the audit chain does not continue its last checkpoint: no new checkpoints are signed; run `agent-otp audit verify`',
        );
      }
      divergence = outcome.reason;
      return;
    }
    divergence = null;
    if (outcome.status === 'written')
      logger.debug(
        { seq: outcome.checkpoint.seq, stripes: outcome.checkpoint.heads.length },
        'audit checkpoint written',
      );
  };

  let busy: Promise<void> | null = null;
  const tick = async () => {
    if (busy) return;
    busy = (async () => {
      try {
        report(await checkpointer.run());
      } catch (error) {
        logger.error({ err: error }, 'audit checkpoint failed');
      }
    })();
    await busy;
    busy = null;
  };
  void tick();
  const timer = setInterval(tick, Math.min(deps.intervalMs, POLL_MS));
  timer.unref();

  return {
    async halt() {
      clearInterval(timer);
      await busy;
    },
    async stop() {
      clearInterval(timer);
      try {
        const outcome = await checkpointer.run({ force: true });
        report(outcome);
        if (outcome.status === 'written') {
          logger.info(
            { seq: outcome.checkpoint.seq, stripes: outcome.checkpoint.heads.length },
            'audit checkpoint written at shutdown',
          );
        }
        return outcome;
      } catch (error) {
        logger.error({ err: error }, 'audit checkpoint at shutdown failed');
        return null;
      }
    },
  };
}
