/**
 * `npm run screenshots`: starts a server on a temporary data directory with sample data, logs
 * in with Chromium (/usr/bin/chromium, or CHROMIUM_PATH) and saves desktop (1280 px) and phone
 * (390 px) PNGs of the main pages into docs/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '@agent-otp/server';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../packages/dashboard/test/chromium.ts';
import { ADMIN_PASSWORD } from '../packages/dashboard/test/helpers.ts';
import { addSampleData, SAMPLE_POLICY } from '../packages/dashboard/test/sample-data.ts';

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');
const SIZES = [
  { name: 'desktop', width: 1280, height: 860 },
  { name: 'phone', width: 390, height: 844 },
] as const;
/** Phone pages are captured down to this height: enough to show the layout, small files. */
const PHONE_MAX_HEIGHT = 1400;

async function main() {
  mkdirSync(OUT, { recursive: true });
  const server = await startTestServer({
    policy: SAMPLE_POLICY,
    env: { AGENT_OTP_ADMIN_PASSWORD: ADMIN_PASSWORD },
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  try {
    const sample = await addSampleData(server.runtime, { decided: 12 });
    const pages = [
      ['inbox', '/'],
      ['request-detail', `/requests/${sample.pending.payroll}`],
      ['history', '/history'],
      ['audit', '/audit'],
      ['agents', '/agents'],
      ['users', '/users'],
    ] as const;
    for (const size of SIZES) {
      const context = await browser.newContext({
        viewport: { width: size.width, height: size.height },
        colorScheme: 'light',
        locale: 'en-US',
        timezoneId: 'UTC',
      });
      const page = await context.newPage();
      await page.goto(`${server.url}/login`);
      await page.fill('input[name=name]', 'admin');
      await page.fill('input[name=password]', ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')]);
      for (const [name, path] of pages) {
        await page.goto(`${server.url}${path}`);
        if (name === 'inbox') await page.waitForSelector('#live.on');
        const file = join(OUT, `${name}-${size.name}.png`);
        if (size.name === 'phone') {
          const height = await page.evaluate(() => document.documentElement.scrollHeight);
          await page.screenshot({
            path: file,
            fullPage: true,
            clip: { x: 0, y: 0, width: size.width, height: Math.min(height, PHONE_MAX_HEIGHT) },
          });
        } else {
          await page.screenshot({ path: file });
        }
        console.log(file);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
