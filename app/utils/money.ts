/**
 * Money as integer minor units (cents, yen) with a lowercase ISO 4217 code beside it. Conversions
 * between what a person types ("4.50") and minor units use string and integer arithmetic only:
 * floats cannot represent most decimal amounts exactly.
 */

// Stripe's zero- and three-decimal currencies; every other currency it supports has two decimals.
// https://docs.stripe.com/currencies#zero-decimal
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** How many digits after the decimal point the currency's major unit has (JPY 0, EUR 2, KWD 3). */
export function currencyDecimals(currency: string): number {
  const code = currency.toLowerCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

export type ParsedAmount = { ok: true; minor: number } | { ok: false; message: string };

const MAX_DIGITS = 15; // keeps every accepted amount inside Number.MAX_SAFE_INTEGER

/**
 * "4.50" in usd → 450; "500" in jpy → 500. Only digits with an optional dot and at most as many
 * decimals as the currency has: no signs, exponents, spaces, commas or currency symbols, so an
 * amount never means something other than what it looks like.
 */
export function parseMajorAmount(text: string, currency: string): ParsedAmount {
  const value = text.trim();
  const decimals = currencyDecimals(currency);
  const example = decimals === 0 ? '500' : `4.${'5'.padEnd(decimals, '0')}`;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) return { ok: false, message: `Enter an amount in digits, like ${example}` };
  const whole = (match[1] as string).replace(/^0+(?=\d)/, '');
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) {
    return {
      ok: false,
      message: decimals === 0 ? `${currency.toUpperCase()} has no smaller unit: enter a whole amount, like ${example}` : `Use at most ${decimals} digits after the dot`,
    };
  }
  const digits = `${whole}${fraction.padEnd(decimals, '0')}`.replace(/^0+(?=\d)/, '');
  if (digits.length > MAX_DIGITS) return { ok: false, message: 'That amount is far too large' };
  return { ok: true, minor: Number(digits) };
}

/** 450 usd → "4.50"; 500 usd → "5.00"; 500 jpy → "500". Exact, for form values and Intl. */
export function minorToMajorString(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new Error(`minor units must be a safe integer, got ${minor}`);
  const decimals = currencyDecimals(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(decimals + 1, '0');
  if (decimals === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/** What to prefill in an amount field: "5" for a whole amount, "4.50" otherwise. */
export function minorToInputValue(minor: number, currency: string): string {
  const major = minorToMajorString(minor, currency);
  return major.includes('.') && /\.0+$/.test(major) ? major.replace(/\.0+$/, '') : major;
}

/**
 * "€5", "€4.50", "¥500", "US$5" depending on locale. Whole amounts drop their ".00" as price tags
 * do. Intl formats the decimal string exactly (no float in between).
 */
export function formatMoney(minor: number, currency: string, locale = 'en'): string {
  const decimals = currencyDecimals(currency);
  const whole = minor % 10 ** decimals === 0;
  return moneyFormat(locale, currency.toUpperCase(), whole ? 0 : decimals, decimals).format(minorToMajorString(minor, currency) as `${number}`);
}

// Building an Intl.NumberFormat costs ~50× a format call; a receipt or a studio table formats many amounts.
const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(locale: string, currency: string, minimumFractionDigits: number, maximumFractionDigits: number): Intl.NumberFormat {
  const key = `${locale} ${currency} ${minimumFractionDigits} ${maximumFractionDigits}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits, maximumFractionDigits });
    if (moneyFormats.size < 1000) moneyFormats.set(key, format); // locales come from requests: keep the cache bounded
  }
  return format;
}

/** 500 → "5%", 250 → "2.5%", 1 → "0.01%". */
export function formatBasisPoints(basisPoints: number): string {
  const whole = Math.trunc(basisPoints / 100);
  const fraction = String(basisPoints % 100).padStart(2, '0').replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''}%`;
}
