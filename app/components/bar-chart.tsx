import { useId } from 'react';

export type BarSeries = { name: string; className: string; values: readonly number[] };

type BarChartProps = {
  /** The chart's accessible name, also its caption. */
  title: string;
  /** One sentence a screen reader hears after the title: what the chart says. */
  summary: string;
  /** What the categories are ("Month"): the table's first column. */
  categoryName: string;
  /** Full labels per category (table, tooltips) and short ones for the axis. */
  categories: readonly string[];
  axisLabels?: readonly string[];
  series: readonly BarSeries[];
  formatValue: (value: number) => string;
};

const WIDTH = 720;
const HEIGHT = 260;
const PAD = { top: 12, right: 8, bottom: 28, left: 72 };

/** 0 and evenly spaced whole steps (1, 2 or 5 × 10^n) reaching at least `max`. */
export function niceTicks(max: number, target = 4): number[] {
  if (!(max > 0)) return [0];
  const rough = max / target;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(rough)));
  const step = ([1, 2, 5, 10].find((factor) => factor * magnitude >= rough) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step; tick += step) {
    ticks.push(tick);
    if (tick >= max) break;
  }
  return ticks;
}

/**
 * Grouped bars of whole numbers (minor units, counts) as server-rendered SVG: no script, so it shows without JavaScript and under
 * a strict CSP. The same numbers are in a table under "Show the numbers", the chart's text
 * alternative. Colours come from each series' CSS class.
 */
export function BarChart({ title, summary, categoryName, categories, axisLabels = categories, series, formatValue }: BarChartProps) {
  const id = useId();
  const titleId = `${id}-title`;
  const summaryId = `${id}-summary`;
  const max = Math.max(0, ...series.flatMap((entry) => entry.values));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] || 1;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const y = (value: number) => PAD.top + plotHeight - (Math.max(0, value) / top) * plotHeight;
  const groupWidth = plotWidth / Math.max(1, categories.length);
  const barWidth = (groupWidth * 0.76) / Math.max(1, series.length);
  return (
    <figure className="bar-chart">
      <figcaption>
        <span className="bar-chart-title">{title}</span>
        <ul className="bar-chart-legend" aria-hidden="true">
          {series.map((entry) => (
            <li key={entry.name}>
              <span className={`bar-chart-swatch ${entry.className}`} />
              {entry.name}
            </li>
          ))}
        </ul>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${titleId} ${summaryId}`} className="bar-chart-svg">
        <title id={titleId}>{title}</title>
        <desc id={summaryId}>{summary}</desc>
        {ticks.map((tick) => (
          <g key={tick} className="bar-chart-grid">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text x={PAD.left - 8} y={y(tick)} dy="0.32em" textAnchor="end">
              {formatValue(tick)}
            </text>
          </g>
        ))}
        {categories.map((category, index) => {
          const groupX = PAD.left + index * groupWidth + groupWidth * 0.12;
          return (
            <g key={category}>
              {series.map((entry, seriesIndex) => {
                const value = entry.values[index] ?? 0;
                if (value <= 0) return null;
                return (
                  <rect key={entry.name} className={entry.className} x={groupX + seriesIndex * barWidth} y={y(value)} width={barWidth - 2} height={y(0) - y(value)}>
                    <title>{`${category} · ${entry.name}: ${formatValue(value)}`}</title>
                  </rect>
                );
              })}
              <text className="bar-chart-axis" x={PAD.left + index * groupWidth + groupWidth / 2} y={HEIGHT - 8} textAnchor="middle">
                {axisLabels[index] ?? category}
              </text>
            </g>
          );
        })}
      </svg>
      <details className="bar-chart-data">
        <summary>Show the numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{categoryName}</th>
              {series.map((entry) => (
                <th scope="col" key={entry.name} className="numeric">
                  {entry.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {categories.map((category, index) => (
              <tr key={category}>
                <th scope="row">{category}</th>
                {series.map((entry) => (
                  <td key={entry.name} className="numeric">
                    {formatValue(entry.values[index] ?? 0)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
