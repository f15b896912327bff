import { formatMoney } from '#app/utils/money.ts';

/** 500 eur month → "€5/month", as tier cards and receipts say it. */
export function amountLabel(amount: number, currency: string, interval: string): string {
  return `${formatMoney(amount, currency)}/${interval}`;
}

const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** "21 December 2026", in UTC so server and browser renders agree (Stripe's periods are UTC instants). */
export function formatDay(date: Date | string): string {
  return DAY.format(typeof date === 'string' ? new Date(date) : date);
}
