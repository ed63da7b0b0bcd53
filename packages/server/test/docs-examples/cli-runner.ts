// The `agent-otp` command for the docs' shell examples, in one long-lived process: each POST runs
// the real CLI (packages/cli's main) with the arguments, the working directory and the user
// token the shell sent, and answers its output followed by a last line with the exit code.
// One process instead of one per command keeps the examples test fast (tsx starts once).
// Started by docs-examples.test.ts; prints its port on stdout, then serves until killed.
import { createServer } from 'node:http';
import { main } from '../../../cli/src/main.ts';

let queue = Promise.resolve();

async function runCli(fields: string[]): Promise<string> {
  const [token = '', cwd = process.cwd(), ...args] = fields;
  const output: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const capture = (chunk: string | Uint8Array) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const before = process.cwd();
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  if (token) process.env.AGENT_OTP_TOKEN = token;
  else delete process.env.AGENT_OTP_TOKEN;
  process.exitCode = undefined;
  let code: number;
  try {
    process.chdir(cwd);
    code = await main(['node', 'agent-otp', ...args]);
  } catch (error) {
    output.push(`runner: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    process.chdir(before);
    process.exitCode = undefined;
  }
  return `${output.join('')}\n${code}`;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const fields = Buffer.concat(chunks).toString('utf8').split('\0').slice(0, -1);
    // One command at a time: the CLI reads the environment and the working directory.
    queue = queue.then(async () => {
      res.end(await runCli(fields));
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
