import { currencyDecimals } from '#app/utils/money.ts';

/**
 * Labels the studio needs beyond the shared money and day formats (app/utils/money.ts,
 * app/modules/pledges/labels.ts). Months are UTC months, like the income they label, so
 * the server render and the browser agree.
 */

const monthFormat = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });
const shortMonthFormat = new Intl.DateTimeFormat('en-GB', { month: 'short', timeZone: 'UTC' });

/** "2026-03" → "Mar 2026"; with `short`, "Mar". */
export function formatMonth(month: string, options: { short?: boolean } = {}): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`formatMonth: ${month} is not YYYY-MM`);
  return (options.short ? shortMonthFormat : monthFormat).format(new Date(`${month}-01T00:00:00Z`));
}

/** What a currency's smallest amount is called, for "rounded to the nearest …". */
export function smallestUnitName(currency: string): string {
  switch (currencyDecimals(currency)) {
    case 0:
      return `whole ${currency.toUpperCase()}`;
    case 3:
      return `thousandth of a ${currency.toUpperCase()}`;
    default:
      return 'cent';
  }
}
