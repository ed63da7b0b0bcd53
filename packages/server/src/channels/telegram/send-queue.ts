import type { Logger } from 'pino';
import { loadGrammy } from '../../optional-deps.ts';

export interface SendQueueOptions {
  logger: Logger;
  /** Attempts per job before it is dropped (429s count too). */
  maxAttempts?: number;
  /** First backoff after a network error or a 5xx; doubles each time. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Calls to Telegram, one at a time, off the permission flow: a request is decided and answered
 * whether or not Telegram is reachable. Network errors and 5xx are retried with exponential
 * backoff, a 429 after its `retry_after`; other refusals (a blocked bot, a deleted chat) are
 * logged and dropped. Jobs run in order, so a 429 holds back the calls behind it as Telegram asks.
 */
export function createSendQueue({
  logger,
  maxAttempts = 6,
  baseDelayMs = 500,
  maxDelayMs = 30_000,
}: SendQueueOptions) {
  const jobs: Array<{ name: string; run: () => Promise<unknown> }> = [];
  let running = false;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    }).finally(() => {
      timer = null;
      wake = null;
    });

  /** How long to wait before the next attempt, or null to give up on the job. */
  function retryDelay(error: unknown, attempt: number): number | null {
    if (error instanceof loadGrammy().GrammyError) {
      if (error.error_code === 429) return Math.min((error.parameters.retry_after ?? 1) * 1000, 60_000);
      if (error.error_code < 500) return null;
    } else if (!(error instanceof loadGrammy().HttpError)) {
      return null; // a bug of ours: retrying cannot help
    }
    return Math.min(baseDelayMs * 2 ** (attempt - 1), maxDelayMs) * (0.75 + Math.random() / 2);
  }

  async function runJob(job: { name: string; run: () => Promise<unknown> }) {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        await job.run();
        return;
      } catch (error) {
        // An edit to the text the message already has: the goal is reached.
        if (error instanceof loadGrammy().GrammyError && /message is not modified/i.test(error.description))
          return;
        const delay = attempt < maxAttempts ? retryDelay(error, attempt) : null;
        const detail =
          error instanceof loadGrammy().GrammyError
            ? `${error.error_code} ${error.description}`
            : String(error);
        if (delay === null) {
          logger.warn({ job: job.name, attempt, error: detail }, 'telegram call failed; dropped');
          return;
        }
        logger.info(
          { job: job.name, attempt, retryInMs: Math.round(delay), error: detail },
          'telegram call failed; retrying',
        );
        await sleep(delay);
      }
    }
  }

  async function drain() {
    if (running) return;
    running = true;
    try {
      for (let job = jobs.shift(); job && !stopped; job = jobs.shift()) await runJob(job);
    } finally {
      running = false;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  return {
    /** Queues a call; never throws and never waits for Telegram. */
    push(name: string, run: () => Promise<unknown>) {
      if (stopped) return;
      jobs.push({ name, run });
      void drain();
    },
    /** Resolves once every queued call has finished or been dropped (tests, shutdown). */
    idle(): Promise<void> {
      if (!running && jobs.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    /** Drops what is queued and ends a running backoff. */
    stop() {
      stopped = true;
      jobs.length = 0;
      if (timer) clearTimeout(timer);
      wake?.();
    },
  };
}

export type SendQueue = ReturnType<typeof createSendQueue>;
