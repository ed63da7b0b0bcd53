import type { DecisionWaiter } from './decision-waiter.ts';
import { asView } from './results.ts';
import { createSseParser } from './sse-parser.ts';
import type { PermissionView } from './types.ts';

/** Opens `GET /permissions/:id/events`; see `Transport.openStream`. */
export type OpenStream = (id: string, signal: AbortSignal) => Promise<Response>;

/** Tuning of the SSE waiter; the default suits production, tests may shorten it. */
export interface SseOptions {
  /**
   * Longest silence on an open stream before it counts as dropped. The server sends a comment
   * every 15 s, so 45 s is three missed keep-alives: a connection a NAT or proxy forgot without
   * closing it, which would otherwise leave the agent waiting for an event that never comes.
   */
  idleTimeoutMs?: number;
}

/**
 * Waits on the permission's event stream, the fastest path: the server pushes the decision the
 * moment it is made. Whenever the stream cannot give the answer — it cannot be opened, it is not
 * `200 text/event-stream` (an older server, a proxy's error page), it ends or goes silent while
 * the request is still pending, or it sends something unreadable — the wait continues with
 * `fallback` (the long-poll), whose first read is a plain GET. That read matters after a drop:
 * the server hands a human-approved token out on the first read of any kind, so if the dropped
 * stream had already carried it, the GET sees `approved` without a token and the caller gets
 * `TOKEN_NOT_DELIVERED` rather than waiting forever for a token no one will send again.
 *
 * The stream is always closed when the wait ends, however it ends: the server keeps it open
 * after an approval (until the token is used or expires), so leaving it would hold a socket.
 */
export function createSseWaiter(
  open: OpenStream,
  fallback: DecisionWaiter,
  options: SseOptions = {},
): DecisionWaiter {
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  return {
    async wait(id, { signal }) {
      const decided = await decisionFromStream(open, id, signal, idleTimeoutMs);
      if (decided) return decided;
      signal.throwIfAborted();
      return fallback.wait(id, { signal });
    },
  };
}

/**
 * The first non-pending permission the stream reports, or undefined when the stream ended or
 * failed without one. Rejects only with `signal.reason`, once `signal` aborts.
 */
async function decisionFromStream(
  open: OpenStream,
  id: string,
  signal: AbortSignal,
  idleTimeoutMs: number,
): Promise<PermissionView | undefined> {
  // Ours to abort: when done, when idle, or with the caller's signal (combined below).
  const own = new AbortController();
  let idle: ReturnType<typeof setTimeout> | undefined;
  const stillAlive = () => {
    clearTimeout(idle);
    idle = setTimeout(() => own.abort(), idleTimeoutMs);
  };
  let body: ReadableStream<Uint8Array> | null = null;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    stillAlive();
    const response = await open(id, AbortSignal.any([signal, own.signal]));
    body = response.body;
    const type = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !type.startsWith('text/event-stream') || !body) return undefined;

    let decided: PermissionView | undefined;
    const parser = createSseParser((event) => {
      if (decided || event.event !== 'permission') return;
      const view = asView(JSON.parse(event.data));
      if (view.id === id && view.status !== 'pending') decided = view;
    });
    const decoder = new TextDecoder();
    reader = body.getReader();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return undefined;
      stillAlive();
      parser.push(decoder.decode(chunk.value, { stream: true }));
      if (decided) return decided;
    }
  } catch {
    if (signal.aborted) throw signal.reason;
    // A dropped connection, a silent stream, an unreadable event: the fallback takes over.
    return undefined;
  } finally {
    clearTimeout(idle);
    own.abort();
    // Cancelling releases the connection at once instead of when the abort reaches the socket.
    if (reader) reader.cancel().catch(() => undefined);
    else if (body && !body.locked) body.cancel().catch(() => undefined);
  }
}
