import fc from 'fast-check';
import { expect, test } from 'vitest';
import { currencyDecimals, formatBasisPoints, formatMoney, minorToInputValue, minorToMajorString, parseMajorAmount } from './money.ts';

test('major amounts convert exactly to minor units, respecting the currency decimals', () => {
  expect(parseMajorAmount('4.50', 'usd')).toEqual({ ok: true, minor: 450 });
  expect(parseMajorAmount('4.5', 'usd')).toEqual({ ok: true, minor: 450 });
  expect(parseMajorAmount('5', 'eur')).toEqual({ ok: true, minor: 500 });
  expect(parseMajorAmount(' 0.07 ', 'gbp')).toEqual({ ok: true, minor: 7 });
  expect(parseMajorAmount('0019.99', 'usd')).toEqual({ ok: true, minor: 1999 });
  expect(parseMajorAmount('1000000.00', 'usd')).toEqual({ ok: true, minor: 100_000_000 });
  expect(parseMajorAmount('500', 'jpy')).toEqual({ ok: true, minor: 500 });
  expect(parseMajorAmount('1.234', 'kwd')).toEqual({ ok: true, minor: 1234 });
  // The classic float traps: 0.1 + 0.2, 1.005 * 100, 4.35 * 100 = 434.99999999999994.
  expect(parseMajorAmount('0.30', 'usd')).toEqual({ ok: true, minor: 30 });
  expect(parseMajorAmount('4.35', 'usd')).toEqual({ ok: true, minor: 435 });
  expect(parseMajorAmount('1.01', 'usd')).toEqual({ ok: true, minor: 101 });
});

test('anything that is not plain digits with an optional dot is refused with a message', () => {
  expect(parseMajorAmount('4.555', 'usd')).toEqual({ ok: false, message: 'Use at most 2 digits after the dot' });
  expect(parseMajorAmount('4.5', 'jpy')).toEqual({ ok: false, message: 'JPY has no smaller unit: enter a whole amount, like 500' });
  expect(parseMajorAmount('1e3', 'usd')).toEqual({ ok: false, message: 'Enter an amount in digits, like 4.50' });
  for (const text of ['', ' ', '-5', '+5', '5.', '.5', '1,000', '4,50', '€5', '5 EUR', '0x10', 'Infinity', 'NaN', '１２', '5.0.0', '1_000', '5\n6']) {
    const result = parseMajorAmount(text, 'eur');
    expect(result.ok, JSON.stringify(text)).toBe(false);
  }
  expect(parseMajorAmount('9'.repeat(16), 'jpy')).toEqual({ ok: false, message: 'That amount is far too large' });
  expect(parseMajorAmount('9'.repeat(14), 'usd')).toEqual({ ok: false, message: 'That amount is far too large' });
});

test('currency decimals follow Stripe: JPY and KRW have none, KWD three, the rest two', () => {
  expect([currencyDecimals('jpy'), currencyDecimals('KRW'), currencyDecimals('usd'), currencyDecimals('eur'), currencyDecimals('kwd')]).toEqual([0, 0, 2, 2, 3]);
});

test('minor units print back exactly', () => {
  expect(minorToMajorString(450, 'usd')).toBe('4.50');
  expect(minorToMajorString(5, 'usd')).toBe('0.05');
  expect(minorToMajorString(500, 'jpy')).toBe('500');
  expect(minorToMajorString(-1999, 'eur')).toBe('-19.99');
  expect(minorToInputValue(500, 'eur')).toBe('5');
  expect(minorToInputValue(450, 'eur')).toBe('4.50');
  expect(minorToInputValue(500, 'jpy')).toBe('500');
});

test('parsing what we print gives back the same minor units, for any amount and currency', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000_000_000 }), fc.constantFrom('usd', 'eur', 'jpy', 'kwd'), (minor, currency) => {
      expect(parseMajorAmount(minorToMajorString(minor, currency), currency)).toEqual({ ok: true, minor });
      expect(parseMajorAmount(minorToInputValue(minor, currency), currency)).toEqual({ ok: true, minor });
    }),
  );
});

test('prices read like price tags: whole amounts without decimals', () => {
  expect(formatMoney(500, 'eur')).toBe('€5');
  expect(formatMoney(450, 'eur')).toBe('€4.50');
  expect(formatMoney(5000, 'eur')).toBe('€50');
  expect(formatMoney(500, 'jpy')).toBe('¥500');
  expect(formatMoney(123456789, 'usd')).toBe('$1,234,567.89');
  expect(formatMoney(500, 'usd', 'de')).toBe('5\u00a0$');
});

test('basis points print as a percentage', () => {
  expect([formatBasisPoints(500), formatBasisPoints(250), formatBasisPoints(1), formatBasisPoints(0), formatBasisPoints(1234)]).toEqual(['5%', '2.5%', '0.01%', '0%', '12.34%']);
});
