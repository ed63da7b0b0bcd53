import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Array<Record<string, unknown>>;
  /** Every text the message has shown, the first one first. */
  history: string[];
}

/**
 * A local stand-in of the two Slack Web API methods the channel uses, answering as Slack does:
 * HTTP 200 with `{ok: true, …}` or `{ok: false, error}`, and 429 with Retry-After when told to
 * rate-limit. Auth is the bot token in the Authorization header; bodies are form-encoded (what
 * @slack/web-api sends) or JSON.
 */
export async function startSlackStandIn(token: string) {
  const messages = new Map<string, StandInMessage>();
  const calls: Array<{ method: string; args: Record<string, unknown> }> = [];
  const failFor = new Map<string, string>(); // channel → error to answer
  let rateLimited = 0;
  let seq = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      const raw = Buffer.concat(chunks).toString('utf8');
      const args: Record<string, unknown> = (req.headers['content-type'] ?? '').includes('json')
        ? JSON.parse(raw || '{}')
        : Object.fromEntries(new URLSearchParams(raw));
      calls.push({ method, args });
      if (rateLimited > 0) {
        rateLimited -= 1;
        return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
      }
      if (req.headers.authorization !== `Bearer ${token}`)
        return reply(200, { ok: false, error: 'invalid_auth' });
      const blocks = typeof args.blocks === 'string' ? JSON.parse(args.blocks) : (args.blocks ?? []);
      const text = String(args.text ?? '');
      if (method === 'chat.postMessage') {
        const target = String(args.channel ?? '');
        if (!target) return reply(200, { ok: false, error: 'channel_not_found' });
        const failure = failFor.get(target);
        if (failure) return reply(200, { ok: false, error: failure });
        // Posting to a user id lands in the bot's direct message with that user.
        const channel = target.startsWith('U') ? `D${target.slice(1)}` : target;
        const ts = `1700000000.${String(++seq).padStart(6, '0')}`;
        messages.set(`${channel}/${ts}`, { channel, ts, text, blocks, history: [text] });
        return reply(200, { ok: true, channel, ts, message: { text, ts } });
      }
      if (method === 'chat.update') {
        const key = `${String(args.channel)}/${String(args.ts)}`;
        const message = messages.get(key);
        if (!message) return reply(200, { ok: false, error: 'message_not_found' });
        message.text = text;
        message.blocks = blocks;
        message.history.push(text);
        return reply(200, { ok: true, channel: message.channel, ts: message.ts, text });
      }
      return reply(200, { ok: false, error: 'unknown_method' });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}/api/`,
    messages,
    calls,
    /** Answers the next `count` calls with 429 and Retry-After: 1. */
    rateLimit(count: number) {
      rateLimited = count;
    },
    /** chat.postMessage to this channel answers `{ok: false, error}`. */
    failPostsTo(channel: string, error: string) {
      failFor.set(channel, error);
    },
    /** The message sent to a Slack user's direct message. */
    messageFor(slackUserId: string): StandInMessage | undefined {
      return [...messages.values()].find((m) => m.channel === `D${slackUserId.slice(1)}`);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
