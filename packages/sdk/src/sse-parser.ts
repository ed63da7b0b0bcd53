/**
 * One Server-Sent Event as the stream framed it.
 *
 * @example
 * ```ts
 * const event: SseEvent = { event: 'permission', data: '{"status":"approved"}', id: '3' };
 * ```
 */
export interface SseEvent {
  /** The `event:` field, or `message` when the event named none. */
  event: string;
  /** The `data:` lines, joined with `\n`. */
  data: string;
  /** The last `id:` seen on the stream so far (it carries over to later events), if any. */
  id: string | undefined;
}

/**
 * Longest line accepted. An event of this API is one permission view (a few KB); a server or a
 * proxy that sends megabytes without a line break is broken, and buffering it all would let it
 * exhaust the agent's memory.
 */
const MAX_LINE = 1 << 20;

const LF = 10;
const CR = 13;

/**
 * An incremental parser of `text/event-stream` (the HTML standard's "event stream
 * interpretation"), written here because the SDK has no dependencies and `EventSource` cannot
 * send an Authorization header. Feed it decoded text as it arrives, cut anywhere; it calls
 * `onEvent` for each complete event. Lines end in LF, CRLF or CR; a line starting with `:` is a
 * comment (the server's keep-alive); `retry:` and unknown fields are ignored; an event without
 * `data:` is not dispatched. A BOM needs no handling: TextDecoder strips it.
 *
 * @example
 * ```ts
 * const parser = createSseParser((event) => console.log(event.event, JSON.parse(event.data)));
 * parser.push('event: permission\ndata: {"status":');
 * parser.push('"pending"}\n\n'); // logs: permission { status: 'pending' }
 * ```
 */
export function createSseParser(onEvent: (event: SseEvent) => void): { push(text: string): void } {
  let buffer = '';
  let type = '';
  let data: string[] = [];
  let lastId: string | undefined;

  function dispatch(): void {
    if (data.length > 0) onEvent({ event: type || 'message', data: data.join('\n'), id: lastId });
    type = '';
    data = [];
  }

  function line(text: string): void {
    if (text === '') {
      dispatch();
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastId = value;
  }

  // Set after a CR that ended a chunk: it may be the first half of a CRLF cut in two, so a LF
  // that opens the next chunk belongs to it. (Holding the CR back instead would delay the event
  // it completes until the next chunk, up to a keep-alive later.)
  let skipLf = false;

  return {
    push(text) {
      buffer += text;
      let start = 0;
      if (skipLf && buffer.length > 0) {
        if (buffer.charCodeAt(0) === LF) start = 1;
        skipLf = false;
      }
      for (let i = start; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== LF && c !== CR) continue;
        line(buffer.slice(start, i));
        if (c === CR && i === buffer.length - 1) skipLf = true;
        else if (c === CR && buffer.charCodeAt(i + 1) === LF) i += 1;
        start = i + 1;
      }
      buffer = buffer.slice(start);
      if (buffer.length > MAX_LINE) throw new Error(`event stream line longer than ${MAX_LINE} characters`);
    },
  };
}
