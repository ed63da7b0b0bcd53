import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DOC = fileURLToPath(new URL('../../../docs/webhooks.md', import.meta.url));

/** The code block that follows `<!-- marker -->` in docs/webhooks.md, exactly as documented. */
export function documentedSnippet(marker: string): string {
  const text = readFileSync(DOC, 'utf8');
  const match = new RegExp(`<!-- ${marker} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(text);
  if (!match?.[1]) throw new Error(`no snippet after <!-- ${marker} --> in docs/webhooks.md`);
  return match[1];
}

type NodeVerify = (secret: string, header: string, rawBody: string) => boolean;

/** Loads the documented Node snippet as a module. */
export async function loadNodeVerifier(): Promise<NodeVerify> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-otp-verify-'));
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, documentedSnippet('verify-node'));
  const module = (await import(pathToFileURL(file).href)) as { verifyAgentOtpSignature: NodeVerify };
  return module.verifyAgentOtpSignature;
}

/** Runs the documented Python snippet on (secret, header, body); true when it accepts. */
export function pythonVerifies(secret: string, header: string, rawBody: string): boolean {
  const program = `${documentedSnippet('verify-python')}
import sys
secret, header, body = sys.argv[1], sys.argv[2], sys.stdin.buffer.read()
print("ok" if verify_agent_otp_signature(secret, header, body) else "refused")
`;
  const out = execFileSync('python3', ['-c', program, secret, header], { input: rawBody });
  return out.toString().trim() === 'ok';
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the documented Node snippet said of the signature, with the secret the test gave. */
  verified: boolean;
}

/**
 * A real HTTP receiver on 127.0.0.1. Each request is answered by the next planned behaviour
 * (a status, or `hang` — no answer at all), then 204s. Signatures are checked with the
 * documented snippet, as a user's receiver would.
 */
export async function startReceiver(verify: NodeVerify) {
  const received: Received[] = [];
  const plan: Array<number | 'hang'> = [];
  let secret = '';
  const waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers['agent-otp-signature'] ?? '');
      received.push({ headers: req.headers, body, verified: verify(secret, header, body) });
      for (const wake of waiters.splice(0)) wake();
      const next = plan.shift() ?? 204;
      if (next === 'hang') return; // never answers; the sender must time out
      res.statusCode = next;
      res.end(next === 204 ? undefined : 'nope');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    setSecret(value: string) {
      secret = value;
    },
    /** Answers the next requests with these, in order. */
    plan(...next: Array<number | 'hang'>) {
      plan.push(...next);
    },
    /** Resolves once `count` requests have arrived in all (or rejects after `ms`). */
    async waitFor(count: number, ms = 5000) {
      const deadline = Date.now() + ms;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} requests, got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
