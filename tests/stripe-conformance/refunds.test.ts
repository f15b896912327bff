import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { idOf, paidIntent, stripeError, useStripe } from './harness.ts';

const ctx = useStripe();

test('a full refund succeeds, marks the charge refunded and debits the balance (fees are not returned)', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  const chargeId = idOf(pi.latest_charge)!;
  const refund = await ctx.stripe.refunds.create({ payment_intent: pi.id, metadata: { reason_code: 'pledge_cancelled' } });
  expect(refund.id).toMatch(/^re_/);
  expect(refund).toMatchObject({
    object: 'refund',
    amount: 1000,
    currency: 'usd',
    charge: chargeId,
    payment_intent: pi.id,
    status: 'succeeded',
    metadata: { reason_code: 'pledge_cancelled' },
  });
  const bt = await ctx.stripe.balanceTransactions.retrieve(idOf(refund.balance_transaction)!);
  expect(bt).toMatchObject({ amount: -1000, fee: 0, net: -1000, type: 'refund', reporting_category: 'refund', source: refund.id });
  const charge = await ctx.stripe.charges.retrieve(chargeId);
  expect(charge).toMatchObject({ refunded: true, amount_refunded: 1000, amount: 1000, status: 'succeeded' });
  const created = await ctx.webhooks.waitForEvent('refund.created', (e) => (e.data.object as Stripe.Refund).id === refund.id);
  expect((created.data.object as Stripe.Refund).amount).toBe(1000);
  const refunded = await ctx.webhooks.waitForEvent('charge.refunded', (e) => (e.data.object as Stripe.Charge).id === chargeId);
  const refundedCharge = refunded.data.object as Stripe.Charge;
  expect(refundedCharge).toMatchObject({ refunded: true, amount_refunded: 1000 });
  expect(refunded.data.previous_attributes).toMatchObject({ amount_refunded: 0, refunded: false });
  expect('refunds' in refundedCharge, 'charge.refunded no longer includes the refunds list').toBe(false);
});

test('partial refunds add up; the charge is refunded only when fully refunded', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  const chargeId = idOf(pi.latest_charge)!;
  const first = await ctx.stripe.refunds.create({ charge: chargeId, amount: 300 });
  expect(first.amount).toBe(300);
  let charge = await ctx.stripe.charges.retrieve(chargeId);
  expect(charge).toMatchObject({ refunded: false, amount_refunded: 300 });
  const second = await ctx.stripe.refunds.create({ charge: chargeId, amount: 700 });
  charge = await ctx.stripe.charges.retrieve(chargeId);
  expect(charge).toMatchObject({ refunded: true, amount_refunded: 1000 });
  const listed = await ctx.stripe.refunds.list({ charge: chargeId });
  expect(listed.data.map((r) => r.id).sort()).toEqual([first.id, second.id].sort());
  expect(listed.data.reduce((sum, r) => sum + r.amount, 0)).toBe(1000);
  const expanded = await ctx.stripe.charges.retrieve(chargeId, { expand: ['refunds'] });
  expect(expanded.refunds?.data.map((r) => r.id).sort()).toEqual([first.id, second.id].sort());
});

test('a refund larger than the charge is rejected and changes nothing', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  const chargeId = idOf(pi.latest_charge)!;
  const err = await stripeError(ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 1001 }), Stripe.errors.StripeInvalidRequestError);
  expect(err.statusCode).toBe(400);
  expect(err.rawType).toBe('invalid_request_error');
  expect(err.message).toMatch(/greater than/i);
  const charge = await ctx.stripe.charges.retrieve(chargeId);
  expect(charge.amount_refunded).toBe(0);
  expect((await ctx.stripe.refunds.list({ charge: chargeId })).data).toEqual([]);
});

test('refunding more than what is left after a partial refund is rejected', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  await ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 600 });
  const err = await stripeError(ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 500 }), Stripe.errors.StripeInvalidRequestError);
  expect(err.message).toMatch(/greater than/i);
  const rest = await ctx.stripe.refunds.create({ payment_intent: pi.id });
  expect(rest.amount, 'a refund without amount refunds what is left').toBe(400);
});

test('a fully refunded charge cannot be refunded again', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  await ctx.stripe.refunds.create({ payment_intent: pi.id });
  const err = await stripeError(ctx.stripe.refunds.create({ payment_intent: pi.id }), Stripe.errors.StripeInvalidRequestError);
  expect(err.code).toBe('charge_already_refunded');
});

test('concurrent partial refunds can never exceed the charge', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  const results = await Promise.allSettled([600, 600, 600].map((amount) => ctx.stripe.refunds.create({ payment_intent: pi.id, amount })));
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  const charge = await ctx.stripe.charges.retrieve(idOf(pi.latest_charge)!);
  expect(charge.amount_refunded).toBe(600);
});
