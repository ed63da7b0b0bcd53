import { type Bucket, OUTCOMES } from '../pages/overview-data.ts';

// Charts are inline SVG with CSS classes for colour (no style attributes, so the CSP holds and
// dark mode applies). Each bar carries a <title>, which browsers show as a tooltip.
const W = 720;
const H = 220;
const PAD = { left: 34, right: 8, top: 10, bottom: 26 };

/** A round axis maximum at or above `value`. */
function niceMax(value: number): number {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function Grid({ max }: { max: number }) {
  const plotH = H - PAD.top - PAD.bottom;
  return (
    <>
      {[0, 0.5, 1].map((f) => {
        const y = PAD.top + plotH * (1 - f);
        return (
          <>
            <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} />
            <text x={PAD.left - 6} y={y + 3} text-anchor="end">
              {Math.round(max * f)}
            </text>
          </>
        );
      })}
    </>
  );
}

export function StackedBars({
  buckets,
  label,
}: {
  buckets: Bucket[];
  label: (start: number, index: number) => string;
}) {
  const totals = buckets.map((b) => OUTCOMES.reduce((sum, o) => sum + b.counts[o], 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotH = H - PAD.top - PAD.bottom;
  const slot = (W - PAD.left - PAD.right) / buckets.length;
  const barW = Math.max(2, slot * 0.7);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Requests by outcome over time">
      <Grid max={max} />
      {buckets.map((bucket, i) => {
        const x = PAD.left + i * slot + (slot - barW) / 2;
        let y = PAD.top + plotH;
        const text = label(bucket.start, i);
        return (
          <g>
            {OUTCOMES.filter((o) => bucket.counts[o] > 0).map((o) => {
              const h = (bucket.counts[o] / max) * plotH;
              y -= h;
              return (
                <rect class={`fill-${o}`} x={x} y={y} width={barW} height={h} rx={2}>
                  <title>{`${text}: ${bucket.counts[o]} ${o}`}</title>
                </rect>
              );
            })}
            {text ? (
              <text x={x + barW / 2} y={H - 8} text-anchor="middle">
                {text}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

export function Histogram({ labels, counts }: { labels: string[]; counts: number[] }) {
  const max = niceMax(Math.max(0, ...counts));
  const plotH = H - PAD.top - PAD.bottom;
  const slot = (W - PAD.left - PAD.right) / labels.length;
  const barW = slot * 0.75;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Approval latency histogram">
      <Grid max={max} />
      {labels.map((text, i) => {
        const count = counts[i] ?? 0;
        const h = (count / max) * plotH;
        const x = PAD.left + i * slot + (slot - barW) / 2;
        return (
          <g>
            <rect class="fill-bar" x={x} y={PAD.top + plotH - h} width={barW} height={h} rx={2}>
              <title>{`${text}: ${count}`}</title>
            </rect>
            <text x={x + barW / 2} y={H - 8} text-anchor="middle">
              {text}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export const Legend = () => (
  <div class="legend">
    {OUTCOMES.map((o) => (
      <span>
        <i class={`fill-${o}`}></i>
        {o}
      </span>
    ))}
  </div>
);
