/** Billing period arithmetic (UTC, calendar months clamped to the month's last day, like Stripe). */

export type Interval = 'day' | 'week' | 'month' | 'year';

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** `anchor` moved by `n` intervals (n may be negative). Months keep the anchor's day, clamped. */
export function shift(anchor: number, interval: Interval, count: number, n: number): number {
  const steps = count * n;
  if (interval === 'day') return anchor + steps * 86400;
  if (interval === 'week') return anchor + steps * 7 * 86400;
  const d = new Date(anchor * 1000);
  const months = interval === 'month' ? steps : steps * 12;
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const day = Math.min(d.getUTCDate(), daysInMonth(year, month));
  return Date.UTC(year, month, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000;
}

/** The first period boundary (anchor + k intervals, k ≥ 0 or negative) strictly after `after`. */
export function nextBoundary(anchor: number, interval: Interval, count: number, after: number): number {
  if (anchor > after) {
    // walk back while the previous boundary is still after `after`
    let k = 0;
    while (shift(anchor, interval, count, k - 1) > after) k--;
    return shift(anchor, interval, count, k);
  }
  // estimate, then correct
  const approx = { day: 86400, week: 7 * 86400, month: 28 * 86400, year: 365 * 86400 }[interval] * count;
  let k = Math.max(1, Math.floor((after - anchor) / approx) - 1);
  while (shift(anchor, interval, count, k - 1) > after && k > 1) k--;
  while (shift(anchor, interval, count, k) <= after) k++;
  return shift(anchor, interval, count, k);
}

/**
 * Proration of `amount` for the unused part [from, end) of a period [start, end): per second,
 * rounded to the nearest minor unit, in integer arithmetic.
 */
export function prorate(amount: number, start: number, end: number, from: number): number {
  const total = BigInt(end - start);
  if (total <= 0n) return 0;
  const remaining = BigInt(Math.min(Math.max(end - from, 0), end - start));
  const sign = amount < 0 ? -1n : 1n;
  const abs = BigInt(Math.abs(amount)) * remaining;
  const q = (abs * 2n + total) / (total * 2n); // round half up
  return Number(sign * q);
}
