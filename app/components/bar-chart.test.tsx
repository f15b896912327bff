import { renderToString } from 'react-dom/server';
import { expect, test } from 'vitest';
import { BarChart } from './bar-chart.tsx';

test('the chart is drawn on the server, with one bar per non-zero value and its numbers in a table', () => {
  const html = renderToString(
    <BarChart
      title="Income per month"
      summary="€12 gross over two months."
      categoryName="Month"
      categories={['October 2026', 'November 2026']}
      axisLabels={['Oct', 'Nov']}
      series={[
        { name: 'Gross', className: 'bar-gross', values: [500, 700] },
        { name: 'Net to you', className: 'bar-net', values: [430, 0] },
      ]}
      formatValue={(value) => `€${(value / 100).toFixed(2)}`}
    />,
  );
  expect(html).toContain('<svg');
  expect(html.match(/class="recharts-rectangle/g)?.length).toBe(3);
  expect(html).toContain('>Oct<');
  expect(html).toContain('€7.00');
  expect(html).toContain('<th scope="row">November 2026</th>');
  expect(html).toContain('€12 gross over two months.');
});
