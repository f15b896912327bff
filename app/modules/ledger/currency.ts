/**
 * The currencies Makerfund accepts, as Stripe spells them: lowercase ISO 4217 codes. Amounts in
 * every currency are integer minor units (cents; yen for jpy, which has none smaller).
 */
export const SUPPORTED_CURRENCIES = ['usd', 'eur', 'gbp', 'cad', 'aud', 'chf', 'sek', 'nok', 'dkk', 'jpy', 'nzd', 'pln', 'czk'] as const;

export type SupportedCurrency = (typeof SUPPORTED_CURRENCIES)[number];

const supported: ReadonlySet<string> = new Set(SUPPORTED_CURRENCIES);

/** Exact match only: 'USD' is rejected rather than normalised, so a caller's bug shows up early. */
export function isSupportedCurrency(value: unknown): value is SupportedCurrency {
  return typeof value === 'string' && supported.has(value);
}
