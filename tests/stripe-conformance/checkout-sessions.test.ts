import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { oneTimePrice, recurringPrice, stripeError, uid, useStripe } from './harness.ts';

const ctx = useStripe();
const SUCCESS = 'https://makerfund.test/checkout/success?session_id={CHECKOUT_SESSION_ID}';
const CANCEL = 'https://makerfund.test/checkout/cancel';

test('subscription mode: an open session with a hosted url and the tier amount', async () => {
  const price = await recurringPrice(ctx.stripe, 500);
  const customer = await ctx.stripe.customers.create({ email: `${uid('co')}@example.com` });
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: SUCCESS,
    cancel_url: CANCEL,
    client_reference_id: 'pledge_42',
    metadata: { pledge_id: 'pledge_42' },
    subscription_data: { metadata: { pledge_id: 'pledge_42' } },
  });
  expect(session.id).toMatch(/^cs_test_/);
  expect(session).toMatchObject({
    object: 'checkout.session',
    mode: 'subscription',
    status: 'open',
    payment_status: 'unpaid',
    customer: customer.id,
    subscription: null,
    invoice: null,
    payment_intent: null,
    amount_subtotal: 500,
    amount_total: 500,
    currency: 'usd',
    success_url: SUCCESS,
    cancel_url: CANCEL,
    client_reference_id: 'pledge_42',
    metadata: { pledge_id: 'pledge_42' },
    livemode: false,
    // Renamed from `hosted` in 2026-03-25.dahlia.
    ui_mode: 'hosted_page',
  });
  expect(session.url).toMatch(/^https?:\/\//);
  expect(session.expires_at - session.created).toBe(24 * 3600);
  const items = await ctx.stripe.checkout.sessions.listLineItems(session.id);
  expect(items.data).toHaveLength(1);
  expect(items.data[0]).toMatchObject({ object: 'item', amount_total: 500, quantity: 1, currency: 'usd' });
  expect(items.data[0]?.price?.id).toBe(price.id);
});

test('payment mode: a one-off pledge with payment_intent_data metadata', async () => {
  const price = await oneTimePrice(ctx.stripe, 2500);
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: price.id, quantity: 2 }],
    success_url: SUCCESS,
    cancel_url: CANCEL,
    customer_email: 'patron@example.com',
    payment_intent_data: { metadata: { pledge_id: 'pledge_43' } },
  });
  expect(session).toMatchObject({
    mode: 'payment',
    status: 'open',
    payment_status: 'unpaid',
    amount_subtotal: 5000,
    amount_total: 5000,
    customer: null,
    customer_email: 'patron@example.com',
    customer_creation: 'if_required',
    payment_intent: null,
    subscription: null,
  });
  expect(session.url).toMatch(/^https?:\/\//);
});

test('payment mode with price_data builds the price inline', async () => {
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price_data: { currency: 'usd', unit_amount: 1234, product_data: { name: 'Custom pledge' } }, quantity: 1 }],
    success_url: SUCCESS,
  });
  expect(session.amount_total).toBe(1234);
  const items = await ctx.stripe.checkout.sessions.listLineItems(session.id);
  expect(items.data[0]?.description).toBe('Custom pledge');
});

test('setup mode: no payment is required', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('co')}@example.com` });
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'setup',
    currency: 'usd',
    customer: customer.id,
    success_url: SUCCESS,
    cancel_url: CANCEL,
  });
  expect(session).toMatchObject({
    mode: 'setup',
    status: 'open',
    payment_status: 'no_payment_required',
    customer: customer.id,
    amount_total: null,
    payment_intent: null,
    subscription: null,
  });
  expect(session.url).toMatch(/^https?:\/\//);
});

test('retrieve returns the session; expire closes it and emits checkout.session.expired', async () => {
  const price = await recurringPrice(ctx.stripe, 500);
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'subscription',
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: SUCCESS,
    metadata: { pledge_id: 'pledge_44' },
  });
  const retrieved = await ctx.stripe.checkout.sessions.retrieve(session.id);
  expect(retrieved).toMatchObject({ id: session.id, status: 'open', url: session.url, metadata: { pledge_id: 'pledge_44' } });
  const expired = await ctx.stripe.checkout.sessions.expire(session.id);
  expect(expired.status).toBe('expired');
  expect(expired.payment_status).toBe('unpaid');
  expect(expired.url).toBeNull();
  const event = await ctx.webhooks.waitForEvent('checkout.session.expired', (e) => (e.data.object as Stripe.Checkout.Session).id === session.id);
  expect((event.data.object as Stripe.Checkout.Session).metadata).toEqual({ pledge_id: 'pledge_44' });
  const again = await stripeError(ctx.stripe.checkout.sessions.expire(session.id), Stripe.errors.StripeInvalidRequestError);
  expect(again.statusCode).toBe(400);
});

test('a subscription session without a recurring price is rejected', async () => {
  const price = await oneTimePrice(ctx.stripe, 500);
  const err = await stripeError(
    ctx.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], success_url: SUCCESS }),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.statusCode).toBe(400);
});

test('sessions.list filters by customer', async () => {
  const price = await oneTimePrice(ctx.stripe, 800);
  const customer = await ctx.stripe.customers.create({ email: `${uid('co')}@example.com` });
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'payment',
    customer: customer.id,
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: SUCCESS,
  });
  const listed = await ctx.stripe.checkout.sessions.list({ customer: customer.id });
  expect(listed.data.map((s) => s.id)).toEqual([session.id]);
});

test('payment_method_types is no longer a Checkout Session parameter (2026-09-30.endive)', async () => {
  const price = await oneTimePrice(ctx.stripe, 800);
  const err = await stripeError(
    ctx.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: SUCCESS,
      payment_method_types: ['card'],
    } as unknown as Stripe.Checkout.SessionCreateParams),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.statusCode).toBe(400);
  expect(err.param).toBe('payment_method_types');
  const allowed = await ctx.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: SUCCESS,
    allowed_payment_method_types: ['card'],
  });
  expect(allowed.payment_method_types).toEqual(['card']);
});
