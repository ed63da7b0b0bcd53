import { request } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One request over real HTTP with node:http (not fetch), so a test chooses exactly what goes on
 * the wire: a chunked body, a declared length, any header.
 */
export function rawCall(
  base: string,
  path: string,
  options: {
    headers?: Record<string, string | string[]>;
    body?: string;
    chunked?: boolean;
    method?: string;
  } = {},
): Promise<RawAnswer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...options.headers };
    if (options.body !== undefined && !options.chunked) {
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = request(url, { method: options.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.chunked && options.body !== undefined) {
      const half = Math.floor(options.body.length / 2);
      req.write(options.body.slice(0, half));
      req.write(options.body.slice(half));
    }
    req.end(options.chunked ? undefined : options.body);
  });
}
