import { useId } from 'react';
import { Bar, BarChart as RechartsBarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';

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

/**
 * Grouped bars of whole numbers (minor units, counts), drawn by recharts as SVG on the
 * server too, so the chart shows before (and without) JavaScript. The same numbers are in
 * a table under "Show the numbers", the chart's text alternative. Colours come from each
 * series' CSS class.
 */
export function BarChart({ title, summary, categoryName, categories, axisLabels = categories, series, formatValue }: BarChartProps) {
  const id = useId();
  const titleId = `${id}-title`;
  const summaryId = `${id}-summary`;
  const data = categories.map((category, index) => ({
    category,
    axisLabel: axisLabels[index] ?? category,
    ...Object.fromEntries(series.map((entry, seriesIndex) => [`s${seriesIndex}`, entry.values[index] ?? 0])),
  }));
  return (
    <figure className="bar-chart" aria-labelledby={titleId} aria-describedby={summaryId}>
      <figcaption>
        <span className="bar-chart-title" id={titleId}>
          {title}
        </span>
        <ul className="bar-chart-legend" aria-hidden="true">
          {series.map((entry) => (
            <li key={entry.name}>
              <span className={`bar-chart-swatch ${entry.className}`} />
              {entry.name}
            </li>
          ))}
        </ul>
      </figcaption>
      <p className="visually-hidden" id={summaryId}>
        {summary}
      </p>
      <div className="bar-chart-svg" aria-hidden="true">
        {/* An explicit id keeps recharts' clip-path id identical on server and client (no hydration mismatch). */}
        <RechartsBarChart id={`chart${id.replace(/[^a-zA-Z0-9]/g, '')}`} width={WIDTH} height={HEIGHT} data={data} margin={{ top: 12, right: 8, bottom: 4, left: 16 }} barCategoryGap="24%">
          <CartesianGrid vertical={false} stroke="#e4e0d8" />
          <XAxis dataKey="axisLabel" tickLine={false} axisLine={false} interval={0} />
          <YAxis tickFormatter={(value: number) => formatValue(value)} tickLine={false} axisLine={false} width={72} allowDecimals={false} />
          <Tooltip
            cursor={{ fill: 'rgba(15, 107, 92, 0.06)' }}
            formatter={(value, name) => [formatValue(Number(value)), String(name)]}
            labelFormatter={(_label, payload) => String(payload?.[0]?.payload?.category ?? '')}
          />
          {series.map((entry, seriesIndex) => (
            <Bar key={entry.name} dataKey={`s${seriesIndex}`} name={entry.name} className={entry.className} isAnimationActive={false} />
          ))}
        </RechartsBarChart>
      </div>
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
