// Stripe's documented test cards, each through the API the app uses.
import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { CARDS, cardPaymentMethod, idOf, stripeError, uid, useStripe, WAIT_MS, NO_REDIRECTS } from './harness.ts';

const ctx = useStripe();

test('4242424242424242 makes a visa PaymentMethod whose payment succeeds', async () => {
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.visa);
  expect(pm.id).toMatch(/^pm_/);
  expect(pm.object).toBe('payment_method');
  expect(pm.type).toBe('card');
  expect(pm.customer).toBeNull();
  expect(pm.card).toMatchObject({ brand: 'visa', last4: '4242', exp_month: 12, funding: 'credit', country: 'US' });
  expect(pm.card?.exp_year).toBeGreaterThan(new Date().getUTCFullYear());
  const pi = await ctx.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    payment_method: pm.id,
    ...NO_REDIRECTS,
    confirm: true,
  });
  expect(pi.status).toBe('succeeded');
  expect(pi.amount_received).toBe(1000);
  const charge = await ctx.stripe.charges.retrieve(idOf(pi.latest_charge)!);
  expect(charge).toMatchObject({ status: 'succeeded', paid: true, captured: true, amount: 1000, payment_method: pm.id });
  expect(charge.payment_method_details?.card).toMatchObject({ brand: 'visa', last4: '4242' });
});

test('pm_card_* tokens stand for the documented card numbers', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('tok')}@example.com` });
  const expected: [string, string][] = [
    ['pm_card_visa', '4242'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', '9995'],
    ['pm_card_chargeCustomerFail', '0341'],
    ['pm_card_authenticationRequiredOnSetup', '3155'],
    ['pm_card_createDispute', '0259'],
  ];
  for (const [token, last4] of expected) {
    const pm = await ctx.stripe.paymentMethods.attach(token, { customer: customer.id });
    expect(pm.id, token).toMatch(/^pm_/);
    expect(pm.id, 'attaching a token creates a new PaymentMethod').not.toBe(token);
    expect(pm.card?.last4, token).toBe(last4);
    expect(pm.card?.brand, token).toBe('visa');
    expect(pm.customer).toBe(customer.id);
  }
  const listed = await ctx.stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
  expect(listed.data).toHaveLength(expected.length);
});

test('a token used directly as payment_method is replaced by a real PaymentMethod id', async () => {
  const pi = await ctx.stripe.paymentIntents.create({
    amount: 1500,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    ...NO_REDIRECTS,
    confirm: true,
  });
  expect(pi.status).toBe('succeeded');
  expect(pi.payment_method).toMatch(/^pm_/);
  expect(pi.payment_method).not.toBe('pm_card_visa');
});

test('4000000000009995 declines with card_error insufficient_funds and records a failed charge', async () => {
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.insufficientFunds);
  expect(pm.card?.last4).toBe('9995');
  const err = await stripeError(
    ctx.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: pm.id,
      ...NO_REDIRECTS,
      confirm: true,
    }),
    Stripe.errors.StripeCardError,
  );
  expect(err.type).toBe('StripeCardError');
  expect(err.rawType).toBe('card_error');
  expect(err.statusCode).toBe(402);
  expect(err.code).toBe('card_declined');
  expect(err.decline_code).toBe('insufficient_funds');
  expect(err.message).toBe('Your card has insufficient funds.');
  expect(err.charge).toMatch(/^ch_/);
  const pi = err.payment_intent;
  expect(pi?.status).toBe('requires_payment_method');
  expect(pi?.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' });
  const charge = await ctx.stripe.charges.retrieve(err.charge!);
  expect(charge).toMatchObject({
    status: 'failed',
    paid: false,
    captured: false,
    amount: 1000,
    failure_code: 'card_declined',
    balance_transaction: null,
    payment_intent: pi?.id,
  });
  expect(charge.outcome).toMatchObject({ type: 'issuer_declined', reason: 'insufficient_funds', network_status: 'declined_by_network' });
  const failed = await ctx.webhooks.waitForEvent('payment_intent.payment_failed', (e) => (e.data.object as Stripe.PaymentIntent).id === pi?.id);
  expect((failed.data.object as Stripe.PaymentIntent).last_payment_error?.decline_code).toBe('insufficient_funds');
  await ctx.webhooks.waitForEvent('charge.failed', (e) => (e.data.object as Stripe.Charge).id === charge.id);
});

test('4000000000000341 attaches to a customer, but charging it fails', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('fail')}@example.com` });
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.chargeCustomerFail);
  const attached = await ctx.stripe.paymentMethods.attach(pm.id, { customer: customer.id });
  expect(attached.customer).toBe(customer.id);
  expect(attached.card?.last4).toBe('0341');
  await ctx.webhooks.waitForEvent('payment_method.attached', (e) => (e.data.object as Stripe.PaymentMethod).id === pm.id);
  const err = await stripeError(
    ctx.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      ...NO_REDIRECTS,
      confirm: true,
    }),
    Stripe.errors.StripeCardError,
  );
  expect(err.code).toBe('card_declined');
  expect(err.payment_intent?.status).toBe('requires_payment_method');
  const charge = await ctx.stripe.charges.retrieve(err.charge!);
  expect(charge.status).toBe('failed');
  expect(charge.customer).toBe(customer.id);
});

test('4000002500003155 needs authentication on session: requires_action with a next_action', async () => {
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.authenticationRequiredOnSetup);
  const pi = await ctx.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    payment_method: pm.id,
    ...NO_REDIRECTS,
    confirm: true,
  });
  expect(pi.status).toBe('requires_action');
  expect(pi.next_action?.type).toBe('use_stripe_sdk');
  expect(pi.amount_received).toBe(0);
  await ctx.webhooks.waitForEvent('payment_intent.requires_action', (e) => (e.data.object as Stripe.PaymentIntent).id === pi.id);
  // The customer never authenticates: cancel it.
  const canceled = await ctx.stripe.paymentIntents.cancel(pi.id);
  expect(canceled.status).toBe('canceled');
});

test('4000002500003155 off_session without prior setup fails with authentication_required', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('sca')}@example.com` });
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.authenticationRequiredOnSetup);
  await ctx.stripe.paymentMethods.attach(pm.id, { customer: customer.id });
  const err = await stripeError(
    ctx.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      ...NO_REDIRECTS,
      off_session: true,
      confirm: true,
    }),
    Stripe.errors.StripeCardError,
  );
  expect(err.code).toBe('authentication_required');
  expect(err.decline_code).toBe('authentication_required');
  expect(err.payment_intent?.status).toBe('requires_payment_method');
  expect(err.payment_intent?.last_payment_error?.code).toBe('authentication_required');
});

test('4000000000000259 succeeds, then the charge is disputed as fraudulent', async () => {
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.createDispute);
  const pi = await ctx.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    payment_method: pm.id,
    ...NO_REDIRECTS,
    confirm: true,
  });
  expect(pi.status).toBe('succeeded');
  const chargeId = idOf(pi.latest_charge)!;
  const event = await ctx.webhooks.waitForEvent(
    'charge.dispute.created',
    (e) => (e.data.object as Stripe.Dispute).charge === chargeId,
    WAIT_MS,
  );
  const dispute = event.data.object as Stripe.Dispute;
  expect(dispute).toMatchObject({ amount: 1000, currency: 'usd', reason: 'fraudulent', status: 'needs_response', payment_intent: pi.id });
  const charge = await ctx.stripe.charges.retrieve(chargeId);
  expect(charge.disputed).toBe(true);
  expect(charge.status).toBe('succeeded');
});
