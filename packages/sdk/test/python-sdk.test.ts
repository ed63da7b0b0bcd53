import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The Python SDK (sdks/python) has its own unittest suite, which starts a real server with the
// CLI and talks to it over HTTP. Running it here makes `npm test` cover it.
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const hasPython = spawnSync('python3', ['--version']).status === 0;
const skip = hasPython ? false : 'python3 is not installed; the Python SDK tests are skipped';

test('Python SDK unittest suite passes', { skip, timeout: 240_000 }, async () => {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn('python3', ['-m', 'unittest', 'discover', '-s', 'sdks/python/tests', '-v'], {
      cwd: repo,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ code: exitCode, output }));
  });
  assert.equal(code, 0, `python3 -m unittest failed:\n${output}`);
  assert.match(output, /^OK/m);
});
