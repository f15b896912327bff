// What each action emits: event types, their causal order in Stripe's event log, and the
// event envelope. Webhook arrival order is not guaranteed by Stripe, so order is asserted
// on events.list (newest first), never on arrival.
import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { API_VERSION, customerWithCard, idOf, indexOfType, loggedEvents, paidIntent, recurringPrice, uid, useStripe } from './harness.ts';

const ctx = useStripe();

const about = (ids: (string | null | undefined)[]) => {
  const set = new Set(ids.filter((x): x is string => !!x));
  return (e: Stripe.Event) => {
    const o = e.data.object as { id?: string; invoice?: unknown };
    return set.has(o.id ?? '') || (typeof o.invoice === 'string' && set.has(o.invoice));
  };
};

test('subscription signup emits subscription, invoice, invoice_payment, payment_intent and charge events in causal order', async () => {
  const price = await recurringPrice(ctx.stripe, 1000);
  const { customer, paymentMethod } = await customerWithCard(ctx.stripe);
  const since = Math.floor(Date.now() / 1000) - 5;
  const sub = await ctx.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    default_payment_method: paymentMethod.id,
  });
  const invoiceId = idOf(sub.latest_invoice)!;
  const payment = (await ctx.stripe.invoicePayments.list({ invoice: invoiceId })).data[0]!;
  const piId = idOf(payment.payment.payment_intent)!;
  const pi = await ctx.stripe.paymentIntents.retrieve(piId);
  const chargeId = idOf(pi.latest_charge)!;

  // Delivered to the endpoint, each verified:
  const created = await ctx.webhooks.waitForEvent('customer.subscription.created', (e) => (e.data.object as Stripe.Subscription).id === sub.id);
  expect((created.data.object as Stripe.Subscription).customer).toBe(customer.id);
  const paid = await ctx.webhooks.waitForEvent('invoice.paid', (e) => (e.data.object as Stripe.Invoice).id === invoiceId);
  const paidInvoice = paid.data.object as Stripe.Invoice;
  expect(paidInvoice).toMatchObject({ status: 'paid', amount_paid: 1000, billing_reason: 'subscription_create' });
  expect(paidInvoice.parent?.subscription_details?.subscription).toBe(sub.id);
  await ctx.webhooks.waitForEvent('invoice.created', (e) => (e.data.object as Stripe.Invoice).id === invoiceId);
  await ctx.webhooks.waitForEvent('invoice.finalized', (e) => (e.data.object as Stripe.Invoice).id === invoiceId);
  await ctx.webhooks.waitForEvent('invoice.payment_succeeded', (e) => (e.data.object as Stripe.Invoice).id === invoiceId);
  const ip = await ctx.webhooks.waitForEvent('invoice_payment.paid', (e) => (e.data.object as Stripe.InvoicePayment).invoice === invoiceId);
  expect((ip.data.object as Stripe.InvoicePayment)).toMatchObject({ id: payment.id, status: 'paid', amount_paid: 1000 });
  const succeeded = await ctx.webhooks.waitForEvent('payment_intent.succeeded', (e) => (e.data.object as Stripe.PaymentIntent).id === piId);
  expect((succeeded.data.object as Stripe.PaymentIntent).amount_received).toBe(1000);
  const charge = await ctx.webhooks.waitForEvent('charge.succeeded', (e) => (e.data.object as Stripe.Charge).id === chargeId);
  expect((charge.data.object as Stripe.Charge).amount).toBe(1000);

  // Logged by Stripe in causal order:
  const log = await loggedEvents(ctx.stripe, about([sub.id, invoiceId, piId, chargeId, payment.id]), { created: { gte: since } });
  const at = (type: string) => indexOfType(log, type);
  expect(at('customer.subscription.created')).toBeLessThan(at('invoice.created'));
  expect(at('invoice.created')).toBeLessThan(at('invoice.finalized'));
  expect(at('invoice.finalized')).toBeLessThan(at('invoice.paid'));
  expect(at('payment_intent.created')).toBeLessThan(at('payment_intent.succeeded'));
  expect(at('invoice.finalized')).toBeLessThan(at('payment_intent.succeeded'));
  at('charge.succeeded');
  at('invoice_payment.paid');
  // Each event exactly once in the log.
  const ids = log.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
});

test('a one-off payment emits payment_intent.created, charge.succeeded, payment_intent.succeeded', async () => {
  const since = Math.floor(Date.now() / 1000) - 5;
  const pi = await paidIntent(ctx.stripe, 2500);
  const chargeId = idOf(pi.latest_charge)!;
  for (const type of ['payment_intent.created', 'payment_intent.succeeded']) {
    await ctx.webhooks.waitForEvent(type, (e) => (e.data.object as Stripe.PaymentIntent).id === pi.id);
  }
  await ctx.webhooks.waitForEvent('charge.succeeded', (e) => (e.data.object as Stripe.Charge).id === chargeId);
  const log = await loggedEvents(ctx.stripe, about([pi.id, chargeId]), { created: { gte: since } });
  expect(indexOfType(log, 'payment_intent.created')).toBeLessThan(indexOfType(log, 'payment_intent.succeeded'));
  expect(log.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(1);
  expect(log.filter((e) => e.type === 'payment_intent.payment_failed')).toHaveLength(0);
});

test('the event envelope: api_version, livemode, request id and idempotency key of the causing request', async () => {
  const key = uid('evt-');
  const customer = await ctx.stripe.customers.create({ email: `${uid('e')}@example.com` }, { idempotencyKey: key });
  const event = await ctx.webhooks.waitForEvent('customer.created', (e) => (e.data.object as Stripe.Customer).id === customer.id);
  expect(event.id).toMatch(/^evt_/);
  expect(event.object).toBe('event');
  expect(event.api_version).toBe(API_VERSION);
  expect(event.livemode).toBe(false);
  expect(typeof event.pending_webhooks).toBe('number');
  expect(event.request).toEqual({ id: customer.lastResponse.requestId, idempotency_key: key });
  expect(Math.abs(event.created - customer.created)).toBeLessThanOrEqual(2);
  expect(event.data.object).toMatchObject({ id: customer.id, object: 'customer', email: customer.email });
  expect('account' in event, 'platform events carry no account').toBe(false);
});

test('events.retrieve and events.list return the delivered events', async () => {
  const since = Math.floor(Date.now() / 1000) - 5;
  const customer = await ctx.stripe.customers.create({ name: 'Listed' });
  await ctx.stripe.customers.update(customer.id, { name: 'Listed again' });
  const delivered = await ctx.webhooks.waitForEvent('customer.updated', (e) => (e.data.object as Stripe.Customer).id === customer.id);
  const retrieved = await ctx.stripe.events.retrieve(delivered.id);
  expect(retrieved).toMatchObject({ id: delivered.id, type: 'customer.updated', created: delivered.created, api_version: API_VERSION });
  expect(retrieved.data).toEqual(delivered.data);

  const byType = await ctx.stripe.events.list({ type: 'customer.updated', created: { gte: since }, limit: 100 });
  expect(byType.data.map((e) => e.id)).toContain(delivered.id);
  expect(byType.data.every((e) => e.type === 'customer.updated')).toBe(true);
  const byWildcard = await ctx.stripe.events.list({ type: 'customer.*', created: { gte: since }, limit: 100 });
  const mine = byWildcard.data.filter((e) => (e.data.object as Stripe.Customer).id === customer.id).map((e) => e.type);
  expect(mine).toEqual(['customer.updated', 'customer.created']);
  const byTypes = await ctx.stripe.events.list({ types: ['customer.created', 'customer.updated'], created: { gte: since }, limit: 100 });
  expect(byTypes.data.filter((e) => (e.data.object as Stripe.Customer).id === customer.id)).toHaveLength(2);
  const err = await ctx.stripe.events.retrieve('evt_doesnotexist123').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  expect((err as Stripe.errors.StripeError).code).toBe('resource_missing');
});

test('updated events carry previous_attributes of exactly the changed fields', async () => {
  const customer = await ctx.stripe.customers.create({ name: 'One', email: 'one@example.com' });
  await ctx.stripe.customers.update(customer.id, { name: 'Two' });
  const event = await ctx.webhooks.waitForEvent('customer.updated', (e) => (e.data.object as Stripe.Customer).id === customer.id);
  expect(event.data.previous_attributes).toEqual({ name: 'One' });
  expect((event.data.object as Stripe.Customer).name).toBe('Two');
});

test('a refund emits refund.created and charge.refunded', async () => {
  const pi = await paidIntent(ctx.stripe, 1000);
  const refund = await ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 400 });
  const created = await ctx.webhooks.waitForEvent('refund.created', (e) => (e.data.object as Stripe.Refund).id === refund.id);
  expect((created.data.object as Stripe.Refund)).toMatchObject({ amount: 400, status: 'succeeded', payment_intent: pi.id });
  const refunded = await ctx.webhooks.waitForEvent('charge.refunded', (e) => (e.data.object as Stripe.Charge).id === idOf(pi.latest_charge));
  expect((refunded.data.object as Stripe.Charge)).toMatchObject({ amount_refunded: 400, refunded: false });
});

test('event payloads follow the API version too: no invoice.subscription/charge/payment_intent, no subscription periods', async () => {
  const price = await recurringPrice(ctx.stripe, 1000);
  const { customer, paymentMethod } = await customerWithCard(ctx.stripe);
  const sub = await ctx.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: paymentMethod.id });
  const invoiceId = idOf(sub.latest_invoice)!;
  for (const type of ['invoice.created', 'invoice.finalized', 'invoice.paid']) {
    const event = await ctx.webhooks.waitForEvent(type, (e) => (e.data.object as Stripe.Invoice).id === invoiceId);
    for (const removed of ['subscription', 'charge', 'payment_intent']) expect(removed in (event.data.object as object), `${type}: ${removed}`).toBe(false);
    expect((event.data.object as Stripe.Invoice).parent?.subscription_details?.subscription).toBe(sub.id);
  }
  const created = await ctx.webhooks.waitForEvent('customer.subscription.created', (e) => (e.data.object as Stripe.Subscription).id === sub.id);
  const object = created.data.object as Stripe.Subscription;
  expect('current_period_end' in object).toBe(false);
  expect(object.items.data[0]!.current_period_end).toBe(sub.items.data[0]!.current_period_end);
});
