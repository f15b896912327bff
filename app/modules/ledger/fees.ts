/**
 * How one payment divides between Stripe, Makerfund and the maker (MONEY.md: the maker's share
 * is gross − Stripe fee − platform fee). Integer minor units throughout; the parts always add
 * up to the gross exactly (invariant 12).
 */

export type PaymentSplit = { gross: number; stripeFee: number; platformFee: number; makerNet: number };

const BASIS_POINTS_PER_WHOLE = 10_000;

function requireAmount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer amount in minor units, got ${String(value)}`);
  }
}

function requireBasisPoints(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > BASIS_POINTS_PER_WHOLE) {
    throw new RangeError(`platformFeeBasisPoints must be an integer from 0 to 10000, got ${String(value)}`);
  }
}

/**
 * Makerfund's fee on `gross`: gross × bps / 10000 rounded half up, computed in BigInt so that
 * no product of two large amounts ever passes through a float.
 */
export function platformFee(gross: number, basisPoints: number): number {
  requireAmount('gross', gross);
  requireBasisPoints(basisPoints);
  const scaled = BigInt(gross) * BigInt(basisPoints);
  const whole = BigInt(BASIS_POINTS_PER_WHOLE);
  return Number((scaled + whole / 2n) / whole);
}

/**
 * Splits a payment. `makerNet` goes negative only when Stripe's fee exceeds what is left of a
 * tiny payment; that is still the truth about the money, so it is returned rather than refused.
 */
export function splitPayment(input: { gross: number; stripeFee: number; platformFeeBasisPoints: number }): PaymentSplit {
  requireAmount('gross', input.gross);
  requireAmount('stripeFee', input.stripeFee);
  const fee = platformFee(input.gross, input.platformFeeBasisPoints);
  return { gross: input.gross, stripeFee: input.stripeFee, platformFee: fee, makerNet: input.gross - input.stripeFee - fee };
}
