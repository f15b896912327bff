import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { CARDS, cardPaymentMethod, stripeError, uid, useStripe, NO_REDIRECTS } from './harness.ts';

const ctx = useStripe();

test('a SetupIntent saves a card for off-session use and attaches it to the customer', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('si')}@example.com` });
  const si = await ctx.stripe.setupIntents.create({
    customer: customer.id,
    ...NO_REDIRECTS,
    usage: 'off_session',
    metadata: { pledge_id: 'pledge_9' },
  });
  expect(si.id).toMatch(/^seti_/);
  expect(si).toMatchObject({
    object: 'setup_intent',
    status: 'requires_payment_method',
    usage: 'off_session',
    customer: customer.id,
    payment_method: null,
    metadata: { pledge_id: 'pledge_9' },
    livemode: false,
  });
  expect(si.client_secret).toMatch(new RegExp(`^${si.id}_secret_`));
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.visa);
  const confirmed = await ctx.stripe.setupIntents.confirm(si.id, { payment_method: pm.id });
  expect(confirmed.status).toBe('succeeded');
  expect(confirmed.payment_method).toBe(pm.id);
  const attached = await ctx.stripe.paymentMethods.retrieve(pm.id);
  expect(attached.customer).toBe(customer.id);
  const event = await ctx.webhooks.waitForEvent('setup_intent.succeeded', (e) => (e.data.object as Stripe.SetupIntent).id === si.id);
  expect((event.data.object as Stripe.SetupIntent).metadata).toEqual({ pledge_id: 'pledge_9' });
  await ctx.webhooks.waitForEvent('setup_intent.created', (e) => (e.data.object as Stripe.SetupIntent).id === si.id);
});

test('a SetupIntent for 4000000000009995 succeeds: the decline only happens when charging', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('si')}@example.com` });
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.insufficientFunds);
  const si = await ctx.stripe.setupIntents.create({
    customer: customer.id,
    payment_method: pm.id,
    ...NO_REDIRECTS,
    usage: 'off_session',
    confirm: true,
  });
  expect(si.status).toBe('succeeded');
});

test('a SetupIntent for 4000002500003155 requires authentication', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('si')}@example.com` });
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.authenticationRequiredOnSetup);
  const si = await ctx.stripe.setupIntents.create({
    customer: customer.id,
    payment_method: pm.id,
    ...NO_REDIRECTS,
    usage: 'off_session',
    confirm: true,
  });
  expect(si.status).toBe('requires_action');
  expect(si.next_action?.type).toBe('use_stripe_sdk');
  const canceled = await ctx.stripe.setupIntents.cancel(si.id);
  expect(canceled.status).toBe('canceled');
  await ctx.webhooks.waitForEvent('setup_intent.canceled', (e) => (e.data.object as Stripe.SetupIntent).id === si.id);
});

test('a declined card fails setup with card_error and setup_intent.setup_failed', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('si')}@example.com` });
  const err = await stripeError(
    ctx.stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_chargeDeclined',
      ...NO_REDIRECTS,
      usage: 'off_session',
      confirm: true,
    }),
    Stripe.errors.StripeCardError,
  );
  expect(err.code).toBe('card_declined');
  expect(err.decline_code).toBe('generic_decline');
  const si = err.setup_intent!;
  expect(si.status).toBe('requires_payment_method');
  expect(si.last_setup_error?.code).toBe('card_declined');
  await ctx.webhooks.waitForEvent('setup_intent.setup_failed', (e) => (e.data.object as Stripe.SetupIntent).id === si.id);
});

test('a saved card can then be charged off-session for the exact amount', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('si')}@example.com` });
  const si = await ctx.stripe.setupIntents.create({
    customer: customer.id,
    payment_method: 'pm_card_visa',
    ...NO_REDIRECTS,
    usage: 'off_session',
    confirm: true,
  });
  expect(si.status).toBe('succeeded');
  const pmId = si.payment_method as string;
  const pi = await ctx.stripe.paymentIntents.create({
    amount: 4200,
    currency: 'usd',
    customer: customer.id,
    payment_method: pmId,
    ...NO_REDIRECTS,
    off_session: true,
    confirm: true,
  });
  expect(pi.status).toBe('succeeded');
  expect(pi.amount_received).toBe(4200);
});
