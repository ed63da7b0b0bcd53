import type { IncomingMessage, ServerResponse } from 'node:http';

type Fetch = (request: Request, env: object) => Response | Promise<Response>;

/**
 * Answers a request whose body the fast path has already read through the Hono app: the same
 * method, URL, headers and body as a WHATWG Request. Used only when the fast input checks are
 * not sure of the body, so that the answer (a schema refusal, bad JSON…) is the Hono route's own.
 */
export async function replayThroughApp(
  fetch: Fetch,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<void> {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  const response = await fetch(new Request(url, { method: 'POST', headers, body: new Uint8Array(body) }), {});
  const answer = Buffer.from(await response.arrayBuffer());
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    out[key] = value;
  });
  out['content-length'] = String(answer.length);
  res.writeHead(response.status, out);
  res.end(answer);
}
