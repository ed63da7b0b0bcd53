import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * Preloaded into a server by bench/profile-routes.ts with `--import`: each SIGUSR2 starts a V8
 * CPU profile, or ends the running one and writes it to AGENT_OTP_PROFILE_DIR/<n>.cpuprofile,
 * so each scenario gets a profile of its own window only (no start-up, no token making).
 */
const dir = process.env.AGENT_OTP_PROFILE_DIR ?? '.';
const session = new Session();
session.connect();
let running = false;
let count = 0;
process.on('SIGUSR2', async () => {
  if (!running) {
    running = true;
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    return;
  }
  running = false;
  const { profile } = await session.post('Profiler.stop');
  count += 1;
  writeFileSync(`${dir}/${count}.cpuprofile`, JSON.stringify(profile));
});
