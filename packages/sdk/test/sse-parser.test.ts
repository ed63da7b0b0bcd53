import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSseParser, type SseEvent } from '../src/sse-parser.ts';

// The event-stream framing, fed the way a network delivers it: cut at arbitrary points. The
// server side of the stream is tested end to end in approval.test.ts.

function parse(...chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

const STREAM =
  'event: permission\ndata: {"status":"pending"}\nid: 1\n\n: keepalive\n\nevent: permission\ndata: {"status":"approved"}\nid: 2\n\n';

describe('SSE parser', () => {
  test('events, ids and comments as the server writes them', () => {
    assert.deepEqual(parse(STREAM), [
      { event: 'permission', data: '{"status":"pending"}', id: '1' },
      { event: 'permission', data: '{"status":"approved"}', id: '2' },
    ]);
  });

  test('the same events however the stream is cut, down to one character at a time', () => {
    const whole = parse(STREAM);
    for (let cut = 1; cut < STREAM.length; cut++) {
      assert.deepEqual(parse(STREAM.slice(0, cut), STREAM.slice(cut)), whole, `cut at ${cut}`);
    }
    assert.deepEqual(parse(...STREAM.split('')), whole);
  });

  test('CRLF and CR line ends, also with a CRLF cut between chunks', () => {
    const crlf = STREAM.replaceAll('\n', '\r\n');
    assert.deepEqual(parse(crlf), parse(STREAM));
    assert.deepEqual(parse(STREAM.replaceAll('\n', '\r')), parse(STREAM));
    for (let cut = 1; cut < crlf.length; cut++) {
      assert.deepEqual(parse(crlf.slice(0, cut), '', crlf.slice(cut)), parse(STREAM), `cut at ${cut}`);
    }
    // An event ended by a CR is dispatched at once, not held until the next chunk.
    assert.equal(parse('data: x\r\r').length, 1);
  });

  test('multi-line data is joined with newlines; one leading space is dropped, not more', () => {
    assert.deepEqual(parse('data: a\ndata:b\ndata:  c\n\n'), [
      { event: 'message', data: 'a\nb\n c', id: undefined },
    ]);
  });

  test('no dispatch without data or before the blank line; the id carries over; retry is ignored', () => {
    assert.deepEqual(parse('event: permission\nid: 7\n\n'), []);
    assert.deepEqual(parse('data: x\n'), []);
    assert.deepEqual(parse('id: 7\nretry: 10\ndata: x\n\ndata: y\n\n'), [
      { event: 'message', data: 'x', id: '7' },
      { event: 'message', data: 'y', id: '7' },
    ]);
  });

  test('an endless line is refused rather than buffered', () => {
    const parser = createSseParser(() => undefined);
    assert.throws(() => parser.push(`data: ${'x'.repeat(1 << 20)}`), /longer than/);
  });
});
