import type { SupportedCurrency } from '#app/modules/ledger/currency.ts';

/** The largest monthly price a tier may have, in minor units (1,000,000.00 of a two-decimal currency). */
export const MAX_MONTHLY_AMOUNT = 100_000_000;
export const MAX_PATRON_LIMIT = 100_000;

/**
 * Stripe refuses to charge less than these (minor units, per its "minimum charge amounts"
 * table); a cheaper tier would fail on its first invoice, so the form says so up front.
 */
export const STRIPE_MINIMUM_CHARGE: Record<SupportedCurrency, number> = {
  usd: 50, eur: 50, gbp: 30, cad: 50, aud: 50, chf: 50, sek: 300, nok: 300, dkk: 250, jpy: 50, nzd: 50, pln: 200, czk: 1500,
};

/** What a patron saves per year with the yearly price, in whole percent (rounded): 5/month and 50/year → 17. */
export function yearlySavingsPercent(monthlyAmount: number, yearlyAmount: number): number {
  const twelveMonths = monthlyAmount * 12;
  return Math.round(((twelveMonths - yearlyAmount) * 100) / twelveMonths);
}

/** "3 of 10 left", "Full", or null for a tier without a limit. */
export function slotsLabel(patronLimit: number | null, held: number): string | null {
  if (patronLimit === null) return null;
  const left = Math.max(0, patronLimit - held);
  return left === 0 ? 'Full' : `${left} of ${patronLimit} left`;
}

export function isFull(patronLimit: number | null, held: number): boolean {
  return patronLimit !== null && held >= patronLimit;
}
