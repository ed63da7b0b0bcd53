import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRequestFuzzer } from './fuzz/request-fuzzer.ts';

/**
 * A small run of the request fuzzer (`npm run fuzz` runs 100,000): generated hostile requests
 * against every route family of a real server, with the properties of request-fuzzer.ts checked
 * on every answer and on the stored state afterwards. Fixed seed, so a failure replays.
 */
describe('request fuzzer', () => {
  it('breaks no property in 4,000 hostile requests', async () => {
    const report = await runRequestFuzzer({ requests: 4000, seed: 20261129 });
    assert.deepEqual(report.failures, []);
    assert.equal(report.sent, 4000);
    // The plausible half of the run must reach the paths the properties are about.
    assert.ok(report.tokens > 100, `only ${report.tokens} tokens were granted`);
    assert.ok(report.spent > 20, `only ${report.spent} uses succeeded`);
  });
});
