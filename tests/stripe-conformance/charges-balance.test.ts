import { expect, test } from 'vitest';
import type Stripe from 'stripe';
import { cardFee, idOf, paidIntent, useStripe } from './harness.ts';

const ctx = useStripe();

test('a 1000 charge has a balance transaction with fee 59 and net 941 (2.9% + 30)', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  const charge = await ctx.stripe.charges.retrieve(idOf(pi.latest_charge)!, { expand: ['balance_transaction'] });
  expect(charge).toMatchObject({
    object: 'charge',
    amount: 1000,
    amount_captured: 1000,
    amount_refunded: 0,
    captured: true,
    paid: true,
    refunded: false,
    disputed: false,
    status: 'succeeded',
    currency: 'usd',
    payment_intent: pi.id,
    failure_code: null,
    livemode: false,
  });
  expect(charge.outcome).toMatchObject({ type: 'authorized', network_status: 'approved_by_network' });
  const bt = charge.balance_transaction as Stripe.BalanceTransaction;
  expect(bt.id).toMatch(/^txn_/);
  expect(bt).toMatchObject({
    object: 'balance_transaction',
    amount: 1000,
    fee: 59,
    net: 941,
    currency: 'usd',
    type: 'charge',
    reporting_category: 'charge',
    source: charge.id,
    status: 'pending',
  });
  expect(bt.fee_details).toEqual([
    { amount: 59, application: null, currency: 'usd', description: 'Stripe processing fees', type: 'stripe_fee' },
  ]);
  expect(bt.available_on).toBeGreaterThan(bt.created);
});

test('unexpanded, balance_transaction is an id that retrieves the same transaction', async () => {
  const pi = await paidIntent(ctx.stripe, 2000);
  const charge = await ctx.stripe.charges.retrieve(idOf(pi.latest_charge)!);
  expect(typeof charge.balance_transaction).toBe('string');
  const bt = await ctx.stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
  expect(bt).toMatchObject({ amount: 2000, fee: 88, net: 1912, source: charge.id });
  const listed = await ctx.stripe.balanceTransactions.list({ source: charge.id });
  expect(listed.data.map((t) => t.id)).toEqual([bt.id]);
});

test('fees follow 2.9% + 30 for several amounts', async () => {
  for (const amount of [700, 5000, 12345]) {
    const pi = await paidIntent(ctx.stripe, amount);
    const charge = await ctx.stripe.charges.retrieve(idOf(pi.latest_charge)!, { expand: ['balance_transaction'] });
    const bt = charge.balance_transaction as Stripe.BalanceTransaction;
    expect({ amount, fee: bt.fee, net: bt.net }).toEqual({ amount, fee: cardFee(amount), net: amount - cardFee(amount) });
  }
  expect(cardFee(5000)).toBe(175);
  expect(cardFee(12345)).toBe(388);
});

test('a charge adds its net to the pending balance', async () => {
  const pendingUsd = (b: Stripe.Balance) => b.pending.find((x) => x.currency === 'usd')?.amount ?? 0;
  const before = await ctx.stripe.balance.retrieve();
  expect(before.object).toBe('balance');
  await paidIntent(ctx.stripe, 1000);
  const after = await ctx.stripe.balance.retrieve();
  expect(pendingUsd(after) - pendingUsd(before)).toBe(941);
  const availableUsd = (b: Stripe.Balance) => b.available.find((x) => x.currency === 'usd')?.amount ?? 0;
  expect(availableUsd(after), 'card funds are pending until available_on').toBe(availableUsd(before));
});

test('charge.succeeded carries the charge; expand payment_intent.latest_charge.balance_transaction works', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  const event = await ctx.webhooks.waitForEvent('charge.succeeded', (e) => (e.data.object as Stripe.Charge).payment_intent === pi.id);
  const charge = event.data.object as Stripe.Charge;
  expect(charge).toMatchObject({ amount: 1000, status: 'succeeded', paid: true });
  const expanded = await ctx.stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge.balance_transaction'] });
  const latest = expanded.latest_charge as Stripe.Charge;
  expect(latest.id).toBe(charge.id);
  expect((latest.balance_transaction as Stripe.BalanceTransaction).net).toBe(941);
});

test('the balance transaction reaches the charge: on charge.succeeded or by a later charge.updated', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  const chargeId = idOf(pi.latest_charge)!;
  const succeeded = await ctx.webhooks.waitForEvent('charge.succeeded', (e) => (e.data.object as Stripe.Charge).id === chargeId);
  const onSucceeded = (succeeded.data.object as Stripe.Charge).balance_transaction;
  if (onSucceeded === null) {
    const updated = await ctx.webhooks.waitForEvent(
      'charge.updated',
      (e) => (e.data.object as Stripe.Charge).id === chargeId && (e.data.object as Stripe.Charge).balance_transaction !== null,
    );
    expect(updated.data.previous_attributes).toMatchObject({ balance_transaction: null });
    expect(idOf((updated.data.object as Stripe.Charge).balance_transaction)).toMatch(/^txn_/);
  } else {
    expect(idOf(onSucceeded)).toMatch(/^txn_/);
  }
});

test('charges.list filters by created', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  const charge = await ctx.stripe.charges.retrieve(idOf(pi.latest_charge)!);
  const since = await ctx.stripe.charges.list({ created: { gte: charge.created }, limit: 100 });
  expect(since.data.map((c) => c.id)).toContain(charge.id);
  const later = await ctx.stripe.charges.list({ created: { gt: charge.created + 3600 }, limit: 100 });
  expect(later.data).toEqual([]);
  const before = await ctx.stripe.charges.list({ created: { lt: charge.created }, limit: 100 });
  expect(before.data.map((c) => c.id)).not.toContain(charge.id);
});
