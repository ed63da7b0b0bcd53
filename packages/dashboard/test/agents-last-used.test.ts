import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

describe('agents page: last used', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  it('shows when an agent last acted, and "not lately" for one that never did', async () => {
    const busy = await dash.agent('busy-bot');
    const idle = await dash.agent('idle-bot');
    dash.clock.advance(90_000);
    await dash.ask(busy.agent);
    const admin = await dash.loginAdmin();
    const page = await dash.request('GET', '/agents', { as: admin });
    const row = (name: string) => {
      const start = page.text.indexOf(`<strong>${name}</strong>`);
      return page.text.slice(start, page.text.indexOf('</tr>', start));
    };
    assert.match(row('busy-bot'), /class="last-used"><time datetime="2026-06-01T12:01:30.000Z"/);
    assert.match(row('idle-bot'), /class="last-used"><span class="muted">not lately<\/span>/);
    assert.ok(idle.id);
  });
});
