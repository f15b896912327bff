import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { CARDS, cardPaymentMethod, recurringPrice, stripeError, uid, useStripe, NO_REDIRECTS } from './harness.ts';

const ctx = useStripe();

test('a key that is not a test secret key gets 401 (StripeAuthenticationError)', async () => {
  for (const key of ['pk_test_not_a_secret_key', 'sk_live_not_allowed_here', 'nonsense']) {
    const client = ctx.clientWithKey(key);
    const err = await stripeError(client.customers.list({ limit: 1 }), Stripe.errors.StripeAuthenticationError);
    expect(err.statusCode, key).toBe(401);
    expect(err.rawType).toBe('invalid_request_error');
  }
});

test('an unknown id is resource_missing 404 naming the object and the param', async () => {
  const err = await stripeError(ctx.stripe.customers.retrieve('cus_doesnotexist123'), Stripe.errors.StripeInvalidRequestError);
  expect(err.statusCode).toBe(404);
  expect(err.code).toBe('resource_missing');
  expect(err.param).toBe('id');
  expect(err.message).toBe("No such customer: 'cus_doesnotexist123'");
  expect(err.requestId).toMatch(/^req_/);
  const pi = await stripeError(ctx.stripe.paymentIntents.retrieve('pi_doesnotexist123'), Stripe.errors.StripeInvalidRequestError);
  expect(pi.code).toBe('resource_missing');
  expect(pi.message).toBe("No such payment_intent: 'pi_doesnotexist123'");
});

test('a missing id in a body parameter is resource_missing with that param', async () => {
  const price = await recurringPrice(ctx.stripe, 500);
  const err = await stripeError(
    ctx.stripe.subscriptions.create({ customer: 'cus_doesnotexist123', items: [{ price: price.id }] }),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.code).toBe('resource_missing');
  expect(err.statusCode).toBe(400);
  expect(err.param).toBe('customer');
});

test('a missing required parameter is parameter_missing with param', async () => {
  const err = await stripeError(
    ctx.stripe.paymentIntents.create({ currency: 'usd' } as unknown as Stripe.PaymentIntentCreateParams),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.statusCode).toBe(400);
  expect(err.rawType).toBe('invalid_request_error');
  expect(err.code).toBe('parameter_missing');
  expect(err.param).toBe('amount');
  expect(err.message).toBe('Missing required param: amount.');
});

test('an unknown parameter is parameter_unknown with param', async () => {
  const err = await stripeError(
    ctx.stripe.customers.create({ email: 'x@example.com', favourite_colour: 'green' } as unknown as Stripe.CustomerCreateParams),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.statusCode).toBe(400);
  expect(err.code).toBe('parameter_unknown');
  expect(err.param).toBe('favourite_colour');
  expect(err.message).toMatch(/^Received unknown parameter: favourite_colour/);
  const nested = await stripeError(
    ctx.stripe.customers.create({ invoice_settings: { colour: 'green' } } as unknown as Stripe.CustomerCreateParams),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(nested.code).toBe('parameter_unknown');
  expect(nested.param).toBe('invoice_settings[colour]');
});

test('an invalid value is rejected with the param named', async () => {
  const err = await stripeError(
    ctx.stripe.paymentIntents.create({ amount: -5, currency: 'usd' }),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.statusCode).toBe(400);
  expect(err.param).toBe('amount');
});

test('a declined card is a card_error (402) with decline_code', async () => {
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.insufficientFunds);
  const err = await stripeError(
    ctx.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: pm.id, ...NO_REDIRECTS, confirm: true }),
    Stripe.errors.StripeCardError,
  );
  expect(err.statusCode).toBe(402);
  expect(err.rawType).toBe('card_error');
  expect(err.code).toBe('card_declined');
  expect(err.decline_code).toBe('insufficient_funds');
  expect(err.doc_url).toMatch(/card-declined/);
});

test('idempotency: same key and params returns the same object and creates only one', async () => {
  const email = `${uid('idem')}@example.com`;
  const key = uid('key-');
  const first = await ctx.stripe.customers.create({ email, name: 'Once' }, { idempotencyKey: key });
  const second = await ctx.stripe.customers.create({ email, name: 'Once' }, { idempotencyKey: key });
  expect(second.id).toBe(first.id);
  expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
  expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  const list = await ctx.stripe.customers.list({ email });
  expect(list.data).toHaveLength(1);
  // A replay is the stored response, not a second operation: one customer.created event.
  const events = await ctx.stripe.events.list({ type: 'customer.created', created: { gte: first.created - 1 }, limit: 100 });
  expect(events.data.filter((e) => (e.data.object as Stripe.Customer).id === first.id)).toHaveLength(1);
});

test('idempotency: same key with different params is an idempotency_error', async () => {
  const key = uid('key-');
  const email = `${uid('idem')}@example.com`;
  await ctx.stripe.customers.create({ email }, { idempotencyKey: key });
  const err = await stripeError(ctx.stripe.customers.create({ email: `other-${email}` }, { idempotencyKey: key }), Stripe.errors.StripeIdempotencyError);
  expect(err.statusCode).toBe(400);
  expect(err.rawType).toBe('idempotency_error');
  expect((await ctx.stripe.customers.list({ email: `other-${email}` })).data).toHaveLength(0);
});

test('idempotency: a replayed payment is not charged twice', async () => {
  const key = uid('pay-');
  const params: Stripe.PaymentIntentCreateParams = {
    amount: 1700,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    ...NO_REDIRECTS,
    confirm: true,
    metadata: { run: key },
  };
  const a = await ctx.stripe.paymentIntents.create(params, { idempotencyKey: key });
  const b = await ctx.stripe.paymentIntents.create(params, { idempotencyKey: key });
  expect(b.id).toBe(a.id);
  expect(b.latest_charge).toBe(a.latest_charge);
  const charges = await ctx.stripe.charges.list({ payment_intent: a.id });
  expect(charges.data).toHaveLength(1);
});

test('idempotency: an error response is replayed too', async () => {
  const key = uid('err-');
  const first = await stripeError(
    ctx.stripe.paymentIntents.create(
      { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds', ...NO_REDIRECTS, confirm: true },
      { idempotencyKey: key },
    ),
    Stripe.errors.StripeCardError,
  );
  const second = await stripeError(
    ctx.stripe.paymentIntents.create(
      { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds', ...NO_REDIRECTS, confirm: true },
      { idempotencyKey: key },
    ),
    Stripe.errors.StripeCardError,
  );
  expect(second.payment_intent?.id).toBe(first.payment_intent?.id);
  expect(second.charge).toBe(first.charge);
});

test('lists: limit, has_more, starting_after, ending_before and auto-pagination', async () => {
  const email = `${uid('page')}@example.com`;
  const created: string[] = [];
  for (let i = 0; i < 5; i++) created.push((await ctx.stripe.customers.create({ email, metadata: { i: String(i) } })).id);
  const newestFirst = [...created].reverse();

  const page1 = await ctx.stripe.customers.list({ email, limit: 2 });
  expect(page1.object).toBe('list');
  expect(page1.data.map((c) => c.id)).toEqual(newestFirst.slice(0, 2));
  expect(page1.has_more).toBe(true);
  const page2 = await ctx.stripe.customers.list({ email, limit: 2, starting_after: page1.data[1]!.id });
  expect(page2.data.map((c) => c.id)).toEqual(newestFirst.slice(2, 4));
  expect(page2.has_more).toBe(true);
  const page3 = await ctx.stripe.customers.list({ email, limit: 2, starting_after: page2.data[1]!.id });
  expect(page3.data.map((c) => c.id)).toEqual(newestFirst.slice(4));
  expect(page3.has_more).toBe(false);
  const back = await ctx.stripe.customers.list({ email, limit: 2, ending_before: page3.data[0]!.id });
  expect(back.data.map((c) => c.id)).toEqual(newestFirst.slice(2, 4));

  const all: string[] = [];
  for await (const c of ctx.stripe.customers.list({ email, limit: 2 })) all.push(c.id);
  expect(all).toEqual(newestFirst);
  const viaArray = await ctx.stripe.customers.list({ email, limit: 2 }).autoPagingToArray({ limit: 10 });
  expect(viaArray.map((c) => c.id)).toEqual(newestFirst);
});

test('lists: limit must be between 1 and 100', async () => {
  const err = await stripeError(ctx.stripe.customers.list({ limit: 101 }), Stripe.errors.StripeInvalidRequestError);
  expect(err.param).toBe('limit');
  const zero = await stripeError(ctx.stripe.customers.list({ limit: 0 }), Stripe.errors.StripeInvalidRequestError);
  expect(zero.param).toBe('limit');
});

test('lists: starting_after an unknown id is resource_missing', async () => {
  const err = await stripeError(ctx.stripe.customers.list({ starting_after: 'cus_doesnotexist123' }), Stripe.errors.StripeInvalidRequestError);
  expect(err.code).toBe('resource_missing');
});

test('every response carries a request id; errors too', async () => {
  const customer = await ctx.stripe.customers.create({});
  expect(customer.lastResponse.requestId).toMatch(/^req_/);
  expect(customer.lastResponse.statusCode).toBe(200);
  expect(customer.lastResponse.apiVersion).toBe(Stripe.API_VERSION);
});

test('idempotency: the same key on another endpoint is an idempotency_error', async () => {
  const key = uid('ep-');
  await ctx.stripe.customers.create({ name: 'first use' }, { idempotencyKey: key });
  const err = await stripeError(ctx.stripe.products.create({ name: 'second use' }, { idempotencyKey: key }), Stripe.errors.StripeIdempotencyError);
  expect(err.rawType).toBe('idempotency_error');
  expect((await ctx.stripe.products.list({ limit: 100 })).data.some((p) => p.name === 'second use')).toBe(false);
});

test('metadata limits: a value longer than 500 characters is rejected', async () => {
  const err = await stripeError(ctx.stripe.customers.create({ metadata: { note: 'x'.repeat(501) } }), Stripe.errors.StripeInvalidRequestError);
  expect(err.statusCode).toBe(400);
  expect(err.param).toBe('metadata[note]');
  const ok = await ctx.stripe.customers.create({ metadata: { note: 'x'.repeat(500) } });
  expect(ok.metadata.note).toHaveLength(500);
});

test('an amount below the currency minimum is amount_too_small', async () => {
  const err = await stripeError(ctx.stripe.paymentIntents.create({ amount: 49, currency: 'usd' }), Stripe.errors.StripeInvalidRequestError);
  expect(err.code).toBe('amount_too_small');
  expect(err.param).toBe('amount');
  const ok = await ctx.stripe.paymentIntents.create({ amount: 50, currency: 'usd' });
  expect(ok.amount).toBe(50);
});
