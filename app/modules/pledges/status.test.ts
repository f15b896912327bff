import { expect, test } from 'vitest';
import { nextChargeDate, pledgeStatusFor, resolveTerms, statusLabel } from './status.ts';

test('Stripe subscription statuses map onto pledge statuses', () => {
  expect(pledgeStatusFor('active')).toBe('active');
  expect(pledgeStatusFor('trialing')).toBe('active');
  expect(pledgeStatusFor('past_due')).toBe('past_due');
  expect(pledgeStatusFor('incomplete')).toBe('pending');
  expect(pledgeStatusFor('canceled')).toBe('ended');
  expect(pledgeStatusFor('unpaid')).toBe('ended');
  expect(pledgeStatusFor('incomplete_expired')).toBe('ended');
});

const gold = { tierId: 'gold', amount: 1000 };
const bronze = { tierId: 'bronze', amount: 300 };
const silver = { tierId: 'silver', amount: 600 };
const changeAt = new Date('2026-12-21T00:00:00Z');
const before = new Date('2026-11-21T00:00:00Z');

test('without a scheduled change, the pledge has what Stripe bills', () => {
  expect(resolveTerms({ current: bronze, scheduled: null, stripe: gold, periodStart: before })).toEqual({ terms: gold, scheduled: null });
});

test('a downgrade keeps the paid tier until the next period starts, then applies', () => {
  const scheduled = { ...bronze, changeAt };
  expect(resolveTerms({ current: gold, scheduled, stripe: bronze, periodStart: before })).toEqual({ terms: gold, scheduled });
  expect(resolveTerms({ current: gold, scheduled, stripe: bronze, periodStart: changeAt })).toEqual({ terms: bronze, scheduled: null });
});

test('a downgrade not yet at Stripe stays scheduled; one that never happened by its date is dropped', () => {
  const scheduled = { ...bronze, changeAt };
  expect(resolveTerms({ current: gold, scheduled, stripe: gold, periodStart: before })).toEqual({ terms: gold, scheduled });
  expect(resolveTerms({ current: gold, scheduled, stripe: gold, periodStart: changeAt })).toEqual({ terms: gold, scheduled: null });
});

test('a different change at Stripe (an upgrade, the customer portal) wins over the schedule at once', () => {
  expect(resolveTerms({ current: gold, scheduled: { ...bronze, changeAt }, stripe: silver, periodStart: before })).toEqual({ terms: silver, scheduled: null });
});

test('labels: cancelling shows the end date; past due asks for a new card; next charge only when one will happen', () => {
  const end = new Date('2026-12-21T00:00:00Z');
  const format = (date: Date) => date.toISOString().slice(0, 10);
  expect(statusLabel({ status: 'active', cancelAtPeriodEnd: false, currentPeriodEnd: end }, format).label).toBe('Active');
  expect(statusLabel({ status: 'active', cancelAtPeriodEnd: true, currentPeriodEnd: end }, format).label).toBe('Cancelling — ends on 2026-12-21');
  expect(statusLabel({ status: 'past_due', cancelAtPeriodEnd: false, currentPeriodEnd: end }, format).label).toBe('Past due — update your card');
  expect(statusLabel({ status: 'ended', cancelAtPeriodEnd: false, currentPeriodEnd: end }, format).label).toBe('Ended');
  expect(nextChargeDate({ status: 'active', cancelAtPeriodEnd: false, currentPeriodEnd: end })).toEqual(end);
  expect(nextChargeDate({ status: 'active', cancelAtPeriodEnd: true, currentPeriodEnd: end })).toBeNull();
  expect(nextChargeDate({ status: 'ended', cancelAtPeriodEnd: false, currentPeriodEnd: end })).toBeNull();
  expect(nextChargeDate({ status: 'past_due', cancelAtPeriodEnd: false, currentPeriodEnd: end })).toBeNull();
});
