import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { CARDS, cardPaymentMethod, idOf, stripeError, uid, useStripe, NO_REDIRECTS } from './harness.ts';

const ctx = useStripe();

test('an unconfirmed PaymentIntent waits for a payment method', async () => {
  const pi = await ctx.stripe.paymentIntents.create({
    amount: 2500,
    currency: 'usd',
    ...NO_REDIRECTS,
    metadata: { pledge_id: 'pledge_1' },
  });
  expect(pi.id).toMatch(/^pi_/);
  expect(pi).toMatchObject({
    object: 'payment_intent',
    amount: 2500,
    amount_received: 0,
    currency: 'usd',
    status: 'requires_payment_method',
    latest_charge: null,
    payment_method: null,
    capture_method: 'automatic',
    confirmation_method: 'automatic',
    livemode: false,
    metadata: { pledge_id: 'pledge_1' },
  });
  expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));
  await ctx.webhooks.waitForEvent('payment_intent.created', (e) => (e.data.object as Stripe.PaymentIntent).id === pi.id);
});

test('confirming with a card succeeds and links the charge', async () => {
  const pi = await ctx.stripe.paymentIntents.create({ amount: 2500, currency: 'usd', ...NO_REDIRECTS });
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.visa);
  const withPm = await ctx.stripe.paymentIntents.update(pi.id, { payment_method: pm.id });
  expect(withPm.status).toBe('requires_confirmation');
  const confirmed = await ctx.stripe.paymentIntents.confirm(pi.id);
  expect(confirmed.status).toBe('succeeded');
  expect(confirmed.amount_received).toBe(2500);
  expect(confirmed.payment_method).toBe(pm.id);
  const chargeId = idOf(confirmed.latest_charge);
  expect(chargeId).toMatch(/^ch_/);
  const charges = await ctx.stripe.charges.list({ payment_intent: pi.id });
  expect(charges.data.map((c) => c.id)).toEqual([chargeId]);
  const succeeded = await ctx.webhooks.waitForEvent('payment_intent.succeeded', (e) => (e.data.object as Stripe.PaymentIntent).id === pi.id);
  expect((succeeded.data.object as Stripe.PaymentIntent).amount_received).toBe(2500);
});

test('cancel moves the PaymentIntent to canceled and emits payment_intent.canceled', async () => {
  const pi = await ctx.stripe.paymentIntents.create({ amount: 900, currency: 'usd', ...NO_REDIRECTS });
  const canceled = await ctx.stripe.paymentIntents.cancel(pi.id, { cancellation_reason: 'abandoned' });
  expect(canceled.status).toBe('canceled');
  expect(canceled.cancellation_reason).toBe('abandoned');
  expect(canceled.canceled_at).toBeGreaterThan(0);
  await ctx.webhooks.waitForEvent('payment_intent.canceled', (e) => (e.data.object as Stripe.PaymentIntent).id === pi.id);
  const err = await stripeError(ctx.stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' }), Stripe.errors.StripeInvalidRequestError);
  expect(err.code).toBe('payment_intent_unexpected_state');
});

test('off_session confirm with a saved card succeeds without the customer', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('off')}@example.com` });
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.visa);
  const si = await ctx.stripe.setupIntents.create({
    customer: customer.id,
    payment_method: pm.id,
    ...NO_REDIRECTS,
    usage: 'off_session',
    confirm: true,
  });
  expect(si.status).toBe('succeeded');
  const pi = await ctx.stripe.paymentIntents.create({
    amount: 2500,
    currency: 'usd',
    customer: customer.id,
    payment_method: pm.id,
    ...NO_REDIRECTS,
    off_session: true,
    confirm: true,
    metadata: { pledge_id: 'pledge_2' },
  });
  expect(pi.status).toBe('succeeded');
  expect(pi.customer).toBe(customer.id);
  const charge = await ctx.stripe.charges.retrieve(idOf(pi.latest_charge)!);
  expect(charge.customer).toBe(customer.id);
  expect(charge.amount).toBe(2500);
});

test('off_session confirm with a saved card that fails: card_declined, payment_intent.payment_failed', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('off')}@example.com` });
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.chargeCustomerFail);
  await ctx.stripe.setupIntents.create({
    customer: customer.id,
    payment_method: pm.id,
    ...NO_REDIRECTS,
    usage: 'off_session',
    confirm: true,
  });
  const err = await stripeError(
    ctx.stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      ...NO_REDIRECTS,
      off_session: true,
      confirm: true,
    }),
    Stripe.errors.StripeCardError,
  );
  expect(err.code).toBe('card_declined');
  const pi = err.payment_intent!;
  expect(pi.status).toBe('requires_payment_method');
  const failed = await ctx.webhooks.waitForEvent('payment_intent.payment_failed', (e) => (e.data.object as Stripe.PaymentIntent).id === pi.id);
  expect((failed.data.object as Stripe.PaymentIntent).last_payment_error?.code).toBe('card_declined');
  const retrieved = await ctx.stripe.paymentIntents.retrieve(pi.id);
  expect(retrieved.status).toBe('requires_payment_method');
  expect(retrieved.amount_received).toBe(0);
});

test('off_session confirm with insufficient funds reports the decline code', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('off')}@example.com` });
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.insufficientFunds);
  await ctx.stripe.paymentMethods.attach(pm.id, { customer: customer.id });
  const err = await stripeError(
    ctx.stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      ...NO_REDIRECTS,
      off_session: true,
      confirm: true,
    }),
    Stripe.errors.StripeCardError,
  );
  expect(err.code).toBe('card_declined');
  expect(err.decline_code).toBe('insufficient_funds');
});

test('manual capture: requires_capture, then a partial capture', async () => {
  const pi = await ctx.stripe.paymentIntents.create({
    amount: 3000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    ...NO_REDIRECTS,
    capture_method: 'manual',
    confirm: true,
  });
  expect(pi.status).toBe('requires_capture');
  expect(pi.amount_capturable).toBe(3000);
  expect(pi.amount_received).toBe(0);
  const captured = await ctx.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2000 });
  expect(captured.status).toBe('succeeded');
  expect(captured.amount_received).toBe(2000);
  expect(captured.amount_capturable).toBe(0);
  const charge = await ctx.stripe.charges.retrieve(idOf(captured.latest_charge)!);
  expect(charge).toMatchObject({ amount: 3000, amount_captured: 2000, captured: true });
});

test('allowed_payment_method_types (this API version’s name for the list) restricts the intent to cards', async () => {
  const pi = await ctx.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', allowed_payment_method_types: ['card'] });
  expect(pi.payment_method_types).toEqual(['card']);
  expect(pi.status).toBe('requires_payment_method');
  const si = await ctx.stripe.setupIntents.create({ allowed_payment_method_types: ['card'] });
  expect(si.payment_method_types).toEqual(['card']);
});

test('payment_method_types is rejected at this API version with payment_method_types_no_longer_supported', async () => {
  const pi = await stripeError(
    ctx.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method_types: ['card'] } as unknown as Stripe.PaymentIntentCreateParams),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(pi.statusCode).toBe(400);
  expect(pi.code).toBe('payment_method_types_no_longer_supported');
  const si = await stripeError(
    ctx.stripe.setupIntents.create({ payment_method_types: ['card'] } as unknown as Stripe.SetupIntentCreateParams),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(si.code).toBe('payment_method_types_no_longer_supported');
});
