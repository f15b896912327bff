import { expect, test } from 'vitest';
import { formatMonth, smallestUnitName } from './format.ts';

test('months are UTC calendar months', () => {
  expect(formatMonth('2026-03')).toBe('Mar 2026');
  expect(formatMonth('2025-12', { short: true })).toBe('Dec');
  expect(() => formatMonth('2026-13')).toThrow(/not YYYY-MM/);
});

test('the smallest unit follows the currency\'s exponent', () => {
  expect(smallestUnitName('eur')).toBe('cent');
  expect(smallestUnitName('jpy')).toBe('whole JPY');
  expect(smallestUnitName('kwd')).toBe('thousandth of a KWD');
});
