import { describe, expect, test } from 'vitest';
import { nextBoundary, prorate, shift } from './periods.ts';

const ts = (iso: string) => Date.parse(iso) / 1000;

describe('shift', () => {
  test('adds calendar months keeping the time of day', () => {
    expect(shift(ts('2026-01-15T10:20:30Z'), 'month', 1, 1)).toBe(ts('2026-02-15T10:20:30Z'));
    expect(shift(ts('2026-01-15T10:20:30Z'), 'month', 1, 12)).toBe(ts('2027-01-15T10:20:30Z'));
  });
  test('clamps to the last day of shorter months and returns to the anchor day', () => {
    const anchor = ts('2026-01-31T00:00:00Z');
    expect(shift(anchor, 'month', 1, 1)).toBe(ts('2026-02-28T00:00:00Z'));
    expect(shift(anchor, 'month', 1, 2)).toBe(ts('2026-03-31T00:00:00Z'));
    expect(shift(ts('2028-02-29T00:00:00Z'), 'year', 1, 1)).toBe(ts('2029-02-28T00:00:00Z'));
  });
  test('weeks, days and negative steps', () => {
    expect(shift(ts('2026-01-01T00:00:00Z'), 'week', 2, 1)).toBe(ts('2026-01-15T00:00:00Z'));
    expect(shift(ts('2026-03-31T00:00:00Z'), 'month', 1, -1)).toBe(ts('2026-02-28T00:00:00Z'));
  });
});

describe('nextBoundary', () => {
  const anchor = ts('2026-01-31T12:00:00Z');
  test('finds the boundary strictly after a time', () => {
    expect(nextBoundary(anchor, 'month', 1, anchor)).toBe(ts('2026-02-28T12:00:00Z'));
    expect(nextBoundary(anchor, 'month', 1, ts('2026-02-28T12:00:00Z'))).toBe(ts('2026-03-31T12:00:00Z'));
    expect(nextBoundary(anchor, 'month', 1, ts('2027-06-01T00:00:00Z'))).toBe(ts('2027-06-30T12:00:00Z'));
  });
  test('an anchor in the future is the next boundary', () => {
    expect(nextBoundary(anchor, 'month', 1, ts('2026-01-10T00:00:00Z'))).toBe(anchor);
  });
});

describe('prorate', () => {
  test('a whole unused period is the whole amount; none is zero', () => {
    expect(prorate(1000, 0, 100, 0)).toBe(1000);
    expect(prorate(1000, 0, 100, 100)).toBe(0);
  });
  test('per second, rounded half up, sign kept', () => {
    expect(prorate(1000, 0, 3, 1)).toBe(667);
    expect(prorate(-1000, 0, 3, 1)).toBe(-667);
    expect(prorate(999, 0, 2, 1)).toBe(500);
  });
});
