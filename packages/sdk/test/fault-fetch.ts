import type { FetchLike } from '../src/index.ts';

/**
 * fetch wrappers that break the event stream the way networks do, for the SSE fallback tests.
 * Every request still goes to the real server; only the connection of `/events` is cut short.
 */

const isStream = (url: string) => new URL(url).pathname.endsWith('/events');

/** What went over the wire, for assertions on which path the SDK took. */
export interface Traffic {
  /** `/events` requests made. */
  streams: number;
  /** GET reads with `?wait=` (the long-poll fallback). */
  longPolls: number;
}

type Fault = (response: Response) => Response;

function faultyFetch(fault: Fault | 'refuse'): { fetch: FetchLike; traffic: Traffic } {
  const traffic: Traffic = { streams: 0, longPolls: 0 };
  const fetchImpl: FetchLike = async (input, init) => {
    if (!isStream(input)) {
      if (new URL(input).searchParams.has('wait')) traffic.longPolls += 1;
      return fetch(input, init);
    }
    traffic.streams += 1;
    // What undici throws when the connection fails: a TypeError with a cause.
    if (fault === 'refuse') throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    return fault(await fetch(input, init));
  };
  return { fetch: fetchImpl, traffic };
}

/** Rebuilds `response` with its body passed through `transform`, chunk by chunk. */
function rewire(
  response: Response,
  transform: (chunk: Uint8Array, out: TransformStreamDefaultController<Uint8Array>) => void,
): Response {
  const body = response.body?.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ transform }));
  return new Response(body, { status: response.status, headers: response.headers });
}

/** No fault: counts the traffic only. */
export const watchedFetch = () => faultyFetch((response) => response);

/** The events endpoint cannot be reached at all (a proxy that blocks it, a network error). */
export const refusingStreams = () => faultyFetch('refuse');

/** The stream closes cleanly after its first event, while the request is still pending. */
export const streamsEndingEarly = () =>
  faultyFetch((response) =>
    rewire(response, (chunk, out) => {
      out.enqueue(chunk);
      out.terminate();
    }),
  );

/**
 * The connection drops just as the event carrying the token arrives: the server sent it (and so
 * handed the token out), the agent never reads it.
 */
export const streamsDroppingTheToken = () =>
  faultyFetch((response) =>
    rewire(response, (chunk, out) => {
      if (new TextDecoder().decode(chunk).includes('"token"')) out.error(new TypeError('terminated'));
      else out.enqueue(chunk);
    }),
  );
