import { expect, test } from 'vitest';
import { isFull, slotsLabel, yearlySavingsPercent } from './pricing.ts';

test('yearly savings in whole percent against twelve monthly payments', () => {
  expect(yearlySavingsPercent(500, 5000)).toBe(17);
  expect(yearlySavingsPercent(1000, 10000)).toBe(17);
  expect(yearlySavingsPercent(1000, 9000)).toBe(25);
  expect(yearlySavingsPercent(500, 5999)).toBe(0);
  expect(yearlySavingsPercent(300, 1800)).toBe(50);
});

test('places left in a limited tier', () => {
  expect(slotsLabel(null, 5)).toBeNull();
  expect(slotsLabel(10, 7)).toBe('3 of 10 left');
  expect(slotsLabel(10, 0)).toBe('10 of 10 left');
  expect(slotsLabel(10, 10)).toBe('Full');
  // More held than the limit (the maker lowered it): full, never a negative count.
  expect(slotsLabel(3, 5)).toBe('Full');
  expect([isFull(null, 1000), isFull(10, 9), isFull(10, 10), isFull(3, 5)]).toEqual([false, false, true, true]);
});
