import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './helpers.ts';

// A typo gets one line naming it and where to look, not the whole help (README: "Errors are one
// line on stderr and a non-zero exit").

test('a mistyped command is one line with a suggestion, then where to look, exit 1', async () => {
  const result = await run(['agnets'], null);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.equal(
    result.stderr,
    "error: unknown command 'agnets' (did you mean agents?)\nsee agent-otp --help\n",
  );
});

test('an unknown option of a subcommand names the subcommand to ask for help', async () => {
  const result = await run(['agents', 'list', '--bogus'], null);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, "error: unknown option '--bogus'\nsee agent-otp agents list --help\n");
});

test('a mistyped subcommand gets the suggestion too', async () => {
  const result = await run(['approvals', 'lst'], null);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    "error: unknown command 'lst' (did you mean list?)\nsee agent-otp approvals --help\n",
  );
});

test('--help still prints the whole help and exits 0', async () => {
  const result = await run(['--help'], null);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /Usage: agent-otp/);
});
