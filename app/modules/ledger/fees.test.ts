import fc from 'fast-check';
import { expect, test } from 'vitest';
import { isSupportedCurrency, SUPPORTED_CURRENCIES } from './currency.ts';
import { platformFee, splitPayment } from './fees.ts';

test('platformFee rounds half up in integer arithmetic', () => {
  expect(platformFee(1000, 500)).toBe(50); // 5 % of $10.00
  expect(platformFee(10, 500)).toBe(1); // 0.5 → 1
  expect(platformFee(9, 500)).toBe(0); // 0.45 → 0
  expect(platformFee(30, 500)).toBe(2); // 1.5 → 2
  expect(platformFee(333, 250)).toBe(8); // 8.325 → 8
  expect(platformFee(0, 500)).toBe(0);
  expect(platformFee(1234, 0)).toBe(0);
  expect(platformFee(1234, 10_000)).toBe(1234);
  // 0.1 × 3 would be 0.30000000000000004 in floats; here it is exact.
  expect(platformFee(3, 1000)).toBe(0);
  expect(platformFee(5, 1000)).toBe(1);
});

test('platformFee stays exact where gross × bps is beyond 2^53', () => {
  const gross = Number.MAX_SAFE_INTEGER; // 9007199254740991
  // 9007199254740991 × 5000 / 10000 = 4503599627370495.5 → rounds up.
  expect(platformFee(gross, 5000)).toBe(4503599627370496);
  expect(platformFee(gross, 10_000)).toBe(gross);
});

test('platformFee and splitPayment refuse amounts that are not integer minor units', () => {
  for (const gross of [1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
    expect(() => platformFee(gross, 500)).toThrow(RangeError);
  }
  for (const bps of [-1, 10_001, 2.5, Number.NaN]) {
    expect(() => platformFee(1000, bps)).toThrow(RangeError);
  }
  expect(() => splitPayment({ gross: 1000, stripeFee: 0.5, platformFeeBasisPoints: 500 })).toThrow(RangeError);
  expect(() => splitPayment({ gross: 1000, stripeFee: -1, platformFeeBasisPoints: 500 })).toThrow(RangeError);
});

test('splitPayment: a $10 pledge with Stripe taking 59¢ and a 5 % platform fee', () => {
  expect(splitPayment({ gross: 1000, stripeFee: 59, platformFeeBasisPoints: 500 })).toEqual({
    gross: 1000,
    stripeFee: 59,
    platformFee: 50,
    makerNet: 891,
  });
});

test('splitPayment reports a negative maker share rather than hiding it when fees exceed a tiny payment', () => {
  expect(splitPayment({ gross: 50, stripeFee: 60, platformFeeBasisPoints: 500 })).toEqual({ gross: 50, stripeFee: 60, platformFee: 3, makerNet: -13 });
});

test('property: the parts of a split are integers that add up exactly to the gross (invariant 12)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1_000_000_000_000 }),
      fc.integer({ min: 0, max: 10_000 }),
      fc.integer({ min: 0, max: 10_000 }),
      (gross, stripeFeeBasisPoints, bps) => {
        const stripeFee = Math.floor((gross * stripeFeeBasisPoints) / 10_000);
        const split = splitPayment({ gross, stripeFee, platformFeeBasisPoints: bps });
        expect(split.gross).toBe(gross);
        expect(split.stripeFee).toBe(stripeFee);
        for (const part of Object.values(split)) expect(Number.isSafeInteger(part)).toBe(true);
        expect(split.stripeFee + split.platformFee + split.makerNet).toBe(gross);
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: the platform fee is the exact quotient rounded half up, between 0 and the gross', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), fc.integer({ min: 0, max: 10_000 }), (gross, bps) => {
      const fee = platformFee(gross, bps);
      expect(fee).toBeGreaterThanOrEqual(0);
      expect(fee).toBeLessThanOrEqual(gross);
      // fee is the nearest integer to gross × bps / 10000, ties up: |10000·fee − gross·bps| ≤ 5000,
      // and a tie (exactly 5000 away) only ever goes up.
      const distance = BigInt(fee) * 10_000n - BigInt(gross) * BigInt(bps);
      expect(distance >= -4999n && distance <= 5000n).toBe(true);
    }),
    { numRuns: 2000 },
  );
});

test('property: a larger payment never carries a smaller platform fee', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000 }), (a, b, bps) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      expect(platformFee(low, bps)).toBeLessThanOrEqual(platformFee(high, bps));
    }),
  );
});

test('supported currencies are lowercase ISO codes, matched exactly', () => {
  expect(SUPPORTED_CURRENCIES).toContain('usd');
  expect(SUPPORTED_CURRENCIES).toContain('jpy');
  for (const currency of SUPPORTED_CURRENCIES) expect(currency).toMatch(/^[a-z]{3}$/);
  expect(isSupportedCurrency('eur')).toBe(true);
  expect(isSupportedCurrency('EUR')).toBe(false);
  expect(isSupportedCurrency('xyz')).toBe(false);
  expect(isSupportedCurrency(' usd')).toBe(false);
  expect(isSupportedCurrency(undefined)).toBe(false);
});
