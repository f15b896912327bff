import { expect, test } from 'vitest';
import {
  churn,
  concentration,
  incomeByMonth,
  lastMonths,
  monthlyEquivalent,
  monthsWindowStart,
  patronStatus,
  percent,
  recurringRevenue,
  type MetricPledge,
} from './metrics.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

function pledge(overrides: Partial<MetricPledge> = {}): MetricPledge {
  return { patronId: 'p1', status: 'active', interval: 'month', amount: 500, currency: 'eur', since: daysAgo(100), endedAt: null, ...overrides };
}

test('a yearly pledge counts as a twelfth per month, rounded to the nearest minor unit with halves up', () => {
  expect(monthlyEquivalent(500, 'month')).toBe(500);
  expect(monthlyEquivalent(12000, 'year')).toBe(1000);
  expect(monthlyEquivalent(10000, 'year')).toBe(833); // 833.33
  expect(monthlyEquivalent(10010, 'year')).toBe(834); // 834.17
  expect(monthlyEquivalent(30, 'year')).toBe(3); // 2.5 rounds up
  expect(monthlyEquivalent(18, 'year')).toBe(2); // 1.5 rounds up
  expect(monthlyEquivalent(17, 'year')).toBe(1); // 1.42
  expect(() => monthlyEquivalent(100, 'week')).toThrow(/unknown interval/);
});

test('MRR adds active and past-due pledges, yearly ones as a twelfth, and ignores cancelled, pending and expired ones', () => {
  const pledges = [
    pledge({ patronId: 'a', amount: 500 }),
    pledge({ patronId: 'b', amount: 10000, interval: 'year' }), // 833
    pledge({ patronId: 'c', amount: 300, status: 'past_due' }),
    pledge({ patronId: 'a', amount: 1200, interval: 'year' }), // a second pledge by a: 100
    pledge({ patronId: 'd', amount: 9999, status: 'ended', endedAt: daysAgo(3) }),
    pledge({ patronId: 'e', amount: 9999, status: 'pending' }),
    pledge({ patronId: 'f', amount: 9999, status: 'expired' }),
  ];
  expect(recurringRevenue(pledges)).toEqual([{ currency: 'eur', monthly: 500 + 833 + 300 + 100, patrons: 3, pledges: 4 }]);
});

test('MRR is kept apart per currency, never added across currencies', () => {
  const pledges = [pledge({ amount: 500 }), pledge({ patronId: 'j', currency: 'jpy', amount: 1200, interval: 'year' }), pledge({ patronId: 'k', currency: 'usd', amount: 700 })];
  expect(recurringRevenue(pledges)).toEqual([
    { currency: 'eur', monthly: 500, patrons: 1, pledges: 1 },
    { currency: 'jpy', monthly: 100, patrons: 1, pledges: 1 },
    { currency: 'usd', monthly: 700, patrons: 1, pledges: 1 },
  ]);
  expect(recurringRevenue([])).toEqual([]);
});

test('status for the maker: a cancel at period end is "cancelling", past due wins over cancelling, checkouts are no patrons', () => {
  expect(patronStatus({ status: 'active', cancelAtPeriodEnd: false })).toBe('active');
  expect(patronStatus({ status: 'active', cancelAtPeriodEnd: true })).toBe('cancelling');
  expect(patronStatus({ status: 'past_due', cancelAtPeriodEnd: true })).toBe('past_due');
  expect(patronStatus({ status: 'ended', cancelAtPeriodEnd: true })).toBe('ended');
  expect(patronStatus({ status: 'pending', cancelAtPeriodEnd: false })).toBeNull();
  expect(patronStatus({ status: 'expired', cancelAtPeriodEnd: false })).toBeNull();
});

test('churn: pledges ended in the last 30 days over pledges live 30 days ago, to one decimal', () => {
  const pledges = [
    // Live at the window start and still live: 37 of them.
    ...Array.from({ length: 37 }, (_, index) => pledge({ patronId: `live-${index}`, since: daysAgo(31) })),
    // Live at the start, ended inside the window: 3.
    pledge({ patronId: 'x1', status: 'ended', since: daysAgo(200), endedAt: daysAgo(29) }),
    pledge({ patronId: 'x2', status: 'ended', since: daysAgo(40), endedAt: daysAgo(1) }),
    pledge({ patronId: 'x3', status: 'ended', since: daysAgo(31), endedAt: NOW }),
    // Ended before the window: in neither count.
    pledge({ patronId: 'old', status: 'ended', since: daysAgo(300), endedAt: daysAgo(31) }),
    // Joined inside the window: not live at the start; still live.
    pledge({ patronId: 'new', since: daysAgo(5) }),
    // Past due counts as live.
    pledge({ patronId: 'late', status: 'past_due', since: daysAgo(60) }),
    // Checkouts are never pledges.
    pledge({ patronId: 'checkout', status: 'pending', since: daysAgo(60) }),
  ];
  const result = churn(pledges, NOW);
  expect(result).toEqual({ windowStart: daysAgo(30), windowEnd: NOW, ended: 3, liveAtStart: 41, rate: 7.3 });
});

test('churn: a pledge that began and ended inside the window counts as ended only; no live pledges at the start gives no rate', () => {
  const young = [pledge({ patronId: 'a', status: 'ended', since: daysAgo(10), endedAt: daysAgo(2) }), pledge({ patronId: 'b', since: daysAgo(3) })];
  expect(churn(young, NOW)).toMatchObject({ ended: 1, liveAtStart: 0, rate: null });
  const mixed = [...young, pledge({ patronId: 'c', since: daysAgo(90) })];
  expect(churn(mixed, NOW)).toMatchObject({ ended: 1, liveAtStart: 1, rate: 100 });
  expect(churn([], NOW)).toMatchObject({ ended: 0, liveAtStart: 0, rate: null });
});

test('churn window edges: ended exactly at the window start counts as ended and as live then', () => {
  const edge = [pledge({ status: 'ended', since: daysAgo(60), endedAt: daysAgo(30) })];
  expect(churn(edge, NOW)).toMatchObject({ ended: 1, liveAtStart: 1, rate: 100 });
  const sinceAtStart = [pledge({ since: daysAgo(30) })];
  expect(churn(sinceAtStart, NOW)).toMatchObject({ ended: 0, liveAtStart: 0 });
});

test('concentration: shares of monthly income from the largest patron and the largest three, a patron\'s pledges added up', () => {
  const pledges = [
    pledge({ patronId: 'big', amount: 900 }),
    pledge({ patronId: 'big', amount: 10800, interval: 'year' }), // 900 a month: big gives 1800
    pledge({ patronId: 'b', amount: 2000 }),
    pledge({ patronId: 'c', amount: 1500 }),
    pledge({ patronId: 'd', amount: 1000 }),
    pledge({ patronId: 'e', amount: 1000, status: 'past_due' }),
    pledge({ patronId: 'f', amount: 2700 }),
    pledge({ patronId: 'gone', amount: 50000, status: 'ended', endedAt: daysAgo(1) }),
  ];
  // total 10000; top 1 = f 2700 (27%); top 3 = 2700 + 2000 + 1800 = 6500 (65%)
  expect(concentration(pledges)).toEqual([{ currency: 'eur', total: 10000, patrons: 6, top1: 2700, top3: 6500, top1Share: 27, top3Share: 65 }]);
});

test('concentration rounds shares to whole percent with halves up; one patron is 100%; nobody live gives nothing', () => {
  const pledges = [pledge({ patronId: 'a', amount: 185 }), pledge({ patronId: 'b', amount: 815 })];
  expect(concentration(pledges)).toEqual([{ currency: 'eur', total: 1000, patrons: 2, top1: 815, top3: 1000, top1Share: 82, top3Share: 100 }]);
  expect(concentration([pledge({ amount: 700 })])[0]).toMatchObject({ top1Share: 100, patrons: 1 });
  expect(concentration([pledge({ status: 'ended', endedAt: daysAgo(1) })])).toEqual([]);
  const eighteen = [pledge({ patronId: 'a', amount: 1800 }), ...Array.from({ length: 41 }, (_, index) => pledge({ patronId: `p${index}`, amount: 200 }))];
  expect(concentration(eighteen)[0]).toMatchObject({ total: 10000, top1Share: 18, top3Share: 22 });
});

test('percent rounds halves up and refuses to divide by zero', () => {
  expect(percent(1, 8)).toBe(13); // 12.5
  expect(percent(1, 3, 1)).toBe(33.3);
  expect(percent(2, 3, 1)).toBe(66.7);
  expect(percent(5, 0)).toBeNull();
});

test('the last 12 months are UTC calendar months ending with the current one, across a year boundary', () => {
  expect(lastMonths(new Date('2026-02-28T23:30:00-05:00'), 12)).toEqual([
    '2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03',
  ]);
  expect(lastMonths(NOW, 3)).toEqual(['2026-09', '2026-10', '2026-11']);
  expect(monthsWindowStart(NOW, 12)).toEqual(new Date('2025-12-01T00:00:00Z'));
});

test('income by month fills empty months with zero, keeps pending fees apart and totals the window', () => {
  const rows = [
    { month: '2026-10', currency: 'eur', invoices: 2, gross: 1500, stripeFee: { known: 74, pending: 0 }, platformFee: { known: 75, pending: 0 }, net: { known: 1351, pending: 0 } },
    { month: '2026-11', currency: 'eur', invoices: 3, gross: 2000, stripeFee: { known: 50, pending: 1 }, platformFee: { known: 100, pending: 0 }, net: { known: 1000, pending: 1 } },
  ];
  const [series, ...others] = incomeByMonth(rows, ['2026-09', '2026-10', '2026-11'], 'eur');
  expect(others).toEqual([]);
  expect(series?.currency).toBe('eur');
  expect(series?.months.map((month) => [month.month, month.invoices, month.gross, month.net.known, month.net.pending])).toEqual([
    ['2026-09', 0, 0, 0, 0],
    ['2026-10', 2, 1500, 1351, 0],
    ['2026-11', 3, 2000, 1000, 1],
  ]);
  expect(series?.total).toEqual({ month: 'total', invoices: 5, gross: 3500, stripeFee: { known: 124, pending: 1 }, platformFee: { known: 175, pending: 0 }, net: { known: 2351, pending: 1 } });
  // The project's currency is always there, first, even with no income at all.
  expect(incomeByMonth([], ['2026-11'], 'usd').map((entry) => [entry.currency, entry.total.gross])).toEqual([['usd', 0]]);
  expect(incomeByMonth([{ ...rows[0]!, currency: 'chf' }], ['2026-10'], 'usd').map((entry) => entry.currency)).toEqual(['usd', 'chf']);
});
