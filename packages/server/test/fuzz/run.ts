/**
 * The request fuzzer as one command: `npm run fuzz` sends 100,000 generated hostile requests
 * to a fresh server on a loopback port and exits non-zero on the first broken property.
 * `npm run fuzz -- --requests 20000 --seed 7` for another size or seed (the same seed replays).
 */
import { parseArgs } from 'node:util';
import { runRequestFuzzer } from './request-fuzzer.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    concurrency: { type: 'string', default: '16' },
  },
});
const requests = Number(values.requests);
const seed = Number(values.seed);
if (!Number.isSafeInteger(requests) || requests < 1 || !Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz -- [--requests N] [--seed N] [--concurrency N]');
  process.exit(2);
}
const started = Date.now();
console.log(`fuzzing with ${requests} requests, seed ${seed}`);
const report = await runRequestFuzzer({
  requests,
  seed,
  concurrency: Number(values.concurrency),
  progress: (sent) => console.log(`  ${sent} sent (${Math.round((Date.now() - started) / 1000)} s)`),
});
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`sent ${report.sent} in ${seconds} s; statuses ${JSON.stringify(report.statuses)}`);
console.log(
  `tokens granted: ${report.tokens}, uses: ${report.spent}, audit entries checked: ${report.auditEntries}`,
);
if (report.failures.length > 0) {
  console.error(`${report.failures.length} broken properties (seed ${seed}):`);
  for (const failure of report.failures) console.error(`  - ${failure}`);
  process.exit(1);
}
console.log('no property broken');
