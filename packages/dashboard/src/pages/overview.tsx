import type { DashApp, DashboardDeps } from '../deps.ts';
import { Histogram, Legend, StackedBars } from '../views/charts.tsx';
import { duration } from '../views/format.ts';
import { page } from '../views/layout.tsx';
import { LATENCY_BUCKETS, latencyHistogram, overviewData, percentile } from './overview-data.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const Stat = ({ label, value }: { label: string; value: string | number }) => (
  <div class="stat">
    <span class="muted small">{label}</span>
    <strong>{value}</strong>
  </div>
);

/** Requests over time by outcome, and how long humans take to decide (UTC buckets). */
export function overviewPages(app: DashApp, deps: DashboardDeps) {
  app.get('/overview', async (c) => {
    const range = c.req.query('range') === '7d' ? '7d' : '24h';
    const data = await overviewData(deps.store, deps.clock.now(), range);
    const total = Object.values(data.totals).reduce((a, b) => a + b, 0);
    const p50 = percentile(data.latencies, 50);
    const p90 = percentile(data.latencies, 90);
    const label =
      range === '24h'
        ? (start: number, i: number) =>
            i % 3 === 0 ? `${String(new Date(start).getUTCHours()).padStart(2, '0')}h` : ''
        : (start: number) => `${DAYS[new Date(start).getUTCDay()]} ${new Date(start).getUTCDate()}`;
    const body = (
      <>
        <div class="page-head">
          <h1>Overview</h1>
          <nav class="tabs" aria-label="Range">
            <a href="/overview?range=24h" class={range === '24h' ? 'active' : ''}>
              24 hours
            </a>
            <a href="/overview?range=7d" class={range === '7d' ? 'active' : ''}>
              7 days
            </a>
          </nav>
        </div>
        <div class="stats">
          <Stat label="Requests" value={total} />
          <Stat label="Approved" value={data.totals.approved} />
          <Stat label="Denied" value={data.totals.denied} />
          <Stat label="Expired" value={data.totals.expired} />
          <Stat label="Pending" value={data.totals.pending} />
          <Stat label="Decision p50" value={p50 === null ? '–' : duration(p50)} />
          <Stat label="Decision p90" value={p90 === null ? '–' : duration(p90)} />
        </div>
        <div class="charts">
          <section class="card">
            <h2>Requests by outcome ({range === '24h' ? 'per hour' : 'per day'}, UTC)</h2>
            <StackedBars buckets={data.buckets} label={label} />
            <Legend />
          </section>
          <section class="card">
            <h2>Time to a human decision</h2>
            <p class="muted small">
              {data.latencies.length} decisions by people in this range · p50{' '}
              {p50 === null ? '–' : duration(p50)} · p90 {p90 === null ? '–' : duration(p90)}
            </p>
            <Histogram
              labels={LATENCY_BUCKETS.map((b) => b.label)}
              counts={latencyHistogram(data.latencies)}
            />
          </section>
        </div>
      </>
    );
    return page(c, 'Overview', 'overview', body);
  });
}
