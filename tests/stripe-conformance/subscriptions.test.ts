import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { CARDS, cardPaymentMethod, customerWithCard, idOf, recurringPrice, stripeError, useStripe } from './harness.ts';

const ctx = useStripe();

async function activeSubscription(amount = 1000, metadata: Record<string, string> = { pledge_id: 'pledge_7' }) {
  const price = await recurringPrice(ctx.stripe, amount);
  const { customer, paymentMethod } = await customerWithCard(ctx.stripe);
  const subscription = await ctx.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    default_payment_method: paymentMethod.id,
    metadata,
  });
  return { price, customer, paymentMethod, subscription };
}

test('create with default_payment_method: active, first invoice paid, periods on the item', async () => {
  const { price, customer, paymentMethod, subscription } = await activeSubscription(1000);
  expect(subscription.id).toMatch(/^sub_/);
  expect(subscription).toMatchObject({
    object: 'subscription',
    status: 'active',
    customer: customer.id,
    default_payment_method: paymentMethod.id,
    cancel_at_period_end: false,
    cancel_at: null,
    canceled_at: null,
    ended_at: null,
    collection_method: 'charge_automatically',
    currency: 'usd',
    metadata: { pledge_id: 'pledge_7' },
    livemode: false,
  });
  // Flexible billing mode is the default since 2025-09-30.clover.
  expect(subscription.billing_mode.type).toBe('flexible');
  expect('current_period_start' in subscription).toBe(false);
  expect('current_period_end' in subscription).toBe(false);
  expect(subscription.items.object).toBe('list');
  expect(subscription.items.data).toHaveLength(1);
  const item = subscription.items.data[0]!;
  expect(item.id).toMatch(/^si_/);
  expect(item).toMatchObject({ object: 'subscription_item', subscription: subscription.id, quantity: 1 });
  expect(item.price.id).toBe(price.id);
  expect(item.current_period_start).toBe(subscription.billing_cycle_anchor);
  expect(item.current_period_start).toBe(subscription.start_date);
  const start = new Date(item.current_period_start * 1000);
  const expectedEnd = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate(), start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds()) / 1000;
  // One calendar month later (Stripe clamps to the month's last day for 29–31).
  if (start.getUTCDate() <= 28) expect(item.current_period_end).toBe(expectedEnd);
  else expect(item.current_period_end - item.current_period_start).toBeGreaterThanOrEqual(28 * 86400);
});

test('the first invoice names its subscription under parent and has no subscription/charge/payment_intent fields', async () => {
  const { customer, subscription } = await activeSubscription(1000);
  const invoice = await ctx.stripe.invoices.retrieve(idOf(subscription.latest_invoice)!);
  expect(invoice.id).toMatch(/^in_/);
  expect(invoice).toMatchObject({
    object: 'invoice',
    status: 'paid',
    billing_reason: 'subscription_create',
    customer: customer.id,
    amount_due: 1000,
    amount_paid: 1000,
    amount_remaining: 0,
    subtotal: 1000,
    total: 1000,
    currency: 'usd',
    attempted: true,
    attempt_count: 1,
    collection_method: 'charge_automatically',
    next_payment_attempt: null,
  });
  expect(invoice.parent).toMatchObject({
    type: 'subscription_details',
    subscription_details: { subscription: subscription.id, metadata: { pledge_id: 'pledge_7' } },
  });
  for (const removed of ['subscription', 'charge', 'payment_intent']) {
    expect(removed in invoice, `invoice.${removed} is not part of API ${Stripe.API_VERSION}`).toBe(false);
  }
  expect(invoice.status_transitions.paid_at).toBeGreaterThan(0);
  expect(invoice.status_transitions.finalized_at).toBeGreaterThan(0);
  expect(invoice.number).toBe(`${(await ctx.stripe.customers.retrieve(customer.id) as Stripe.Customer).invoice_prefix}-0001`);
  expect(invoice.hosted_invoice_url).toMatch(/^https?:\/\//);
  expect(invoice.invoice_pdf).toMatch(/^https?:\/\//);
  expect(invoice.lines.data).toHaveLength(1);
  const line = invoice.lines.data[0]!;
  expect(line).toMatchObject({ amount: 1000, currency: 'usd', quantity: 1 });
  expect(line.parent?.subscription_item_details?.subscription).toBe(subscription.id);
  expect(line.parent?.subscription_item_details?.proration).toBe(false);
  expect(line.period.start).toBe(subscription.items.data[0]!.current_period_start);
  expect(line.period.end).toBe(subscription.items.data[0]!.current_period_end);
});

test('invoicePayments.list → payment_intent → latest_charge → balance_transaction', async () => {
  const { subscription } = await activeSubscription(1000);
  const invoiceId = idOf(subscription.latest_invoice)!;
  const payments = await ctx.stripe.invoicePayments.list({ invoice: invoiceId });
  expect(payments.data).toHaveLength(1);
  const payment = payments.data[0]!;
  expect(payment.id).toMatch(/^inpay_/);
  expect(payment).toMatchObject({
    object: 'invoice_payment',
    invoice: invoiceId,
    amount_paid: 1000,
    amount_requested: 1000,
    currency: 'usd',
    is_default: true,
    status: 'paid',
  });
  expect(payment.payment.type).toBe('payment_intent');
  const pi = await ctx.stripe.paymentIntents.retrieve(idOf(payment.payment.payment_intent)!, {
    expand: ['latest_charge.balance_transaction'],
  });
  expect(pi).toMatchObject({ status: 'succeeded', amount: 1000, amount_received: 1000, customer: subscription.customer });
  const charge = pi.latest_charge as Stripe.Charge;
  expect(charge.amount).toBe(1000);
  const bt = charge.balance_transaction as Stripe.BalanceTransaction;
  expect(bt).toMatchObject({ amount: 1000, fee: 59, net: 941, type: 'charge' });
  const single = await ctx.stripe.invoicePayments.retrieve(payment.id);
  expect(single.id).toBe(payment.id);
});

test('subscriptions.create with a declining default card: incomplete, invoice open', async () => {
  const price = await recurringPrice(ctx.stripe, 1000);
  const { customer } = await customerWithCard(ctx.stripe);
  const declining = await ctx.stripe.paymentMethods.attach('pm_card_visa_chargeDeclinedInsufficientFunds', { customer: customer.id });
  const subscription = await ctx.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    default_payment_method: declining.id,
  });
  expect(subscription.status).toBe('incomplete');
  const invoice = await ctx.stripe.invoices.retrieve(idOf(subscription.latest_invoice)!);
  expect(invoice).toMatchObject({ status: 'open', amount_paid: 0, amount_remaining: 1000, attempt_count: 1 });
  const failed = await ctx.webhooks.waitForEvent('invoice.payment_failed', (e) => (e.data.object as Stripe.Invoice).id === invoice.id);
  expect((failed.data.object as Stripe.Invoice).attempt_count).toBe(1);
});

test('error_if_incomplete surfaces the card error and creates no active subscription', async () => {
  const price = await recurringPrice(ctx.stripe, 1000);
  const { customer } = await customerWithCard(ctx.stripe);
  const declining = await ctx.stripe.paymentMethods.attach('pm_card_visa_chargeDeclinedInsufficientFunds', { customer: customer.id });
  const err = await stripeError(
    ctx.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: declining.id,
      payment_behavior: 'error_if_incomplete',
    }),
    Stripe.errors.StripeCardError,
  );
  expect(err.decline_code).toBe('insufficient_funds');
  const subs = await ctx.stripe.subscriptions.list({ customer: customer.id, status: 'active' });
  expect(subs.data).toEqual([]);
});

test('changing the price with proration_behavior always_invoice bills the difference at once', async () => {
  // A test clock freezes time, so the proration is exact: a whole period unused.
  const clock = await ctx.stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000), name: 'proration' });
  const { customer, paymentMethod } = await customerWithCard(ctx.stripe, undefined, { test_clock: clock.id });
  const low = await recurringPrice(ctx.stripe, 1000);
  const high = await ctx.stripe.prices.create({ product: low.product as string, currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' } });
  const subscription = await ctx.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: low.id }],
    default_payment_method: paymentMethod.id,
  });
  const item = subscription.items.data[0]!;
  const updated = await ctx.stripe.subscriptions.update(subscription.id, {
    items: [{ id: item.id, price: high.id }],
    proration_behavior: 'always_invoice',
  });
  expect(updated.items.data).toHaveLength(1);
  expect(updated.items.data[0]!.price.id).toBe(high.id);
  expect(updated.items.data[0]!.id).toBe(item.id);
  expect(updated.latest_invoice).not.toBe(subscription.latest_invoice);
  const invoice = await ctx.stripe.invoices.retrieve(idOf(updated.latest_invoice)!);
  expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid', amount_due: 1000, amount_paid: 1000 });
  expect(invoice.parent?.subscription_details?.subscription).toBe(subscription.id);
  const amounts = invoice.lines.data.map((l) => l.amount).sort((a, b) => a - b);
  expect(amounts).toEqual([-1000, 2000]);
  for (const line of invoice.lines.data) expect(line.parent?.subscription_item_details?.proration).toBe(true);
  const event = await ctx.webhooks.waitForEvent('customer.subscription.updated', (e) => (e.data.object as Stripe.Subscription).id === subscription.id);
  expect((event.data.object as Stripe.Subscription).items.data[0]!.price.id).toBe(high.id);
  expect(event.data.previous_attributes).toHaveProperty('items');
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('cancel_at_period_end true then false', async () => {
  const { subscription } = await activeSubscription(1000);
  const periodEnd = subscription.items.data[0]!.current_period_end;
  const canceling = await ctx.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
  expect(canceling.status).toBe('active');
  expect(canceling.cancel_at_period_end).toBe(true);
  expect(canceling.cancel_at).toBe(periodEnd);
  expect(canceling.canceled_at).toBeGreaterThan(0);
  expect(canceling.cancellation_details?.reason).toBe('cancellation_requested');
  const e1 = await ctx.webhooks.waitForEvent(
    'customer.subscription.updated',
    (e) => (e.data.object as Stripe.Subscription).id === subscription.id && (e.data.object as Stripe.Subscription).cancel_at_period_end,
  );
  expect(e1.data.previous_attributes).toMatchObject({ cancel_at_period_end: false });
  const resumed = await ctx.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: false });
  expect(resumed.cancel_at_period_end).toBe(false);
  expect(resumed.cancel_at).toBeNull();
  expect(resumed.canceled_at).toBeNull();
  expect(resumed.cancellation_details?.reason ?? null).toBeNull();
  expect(resumed.status).toBe('active');
  const e2 = await ctx.webhooks.waitForEvent(
    'customer.subscription.updated',
    (e) => (e.data.object as Stripe.Subscription).id === subscription.id && e.id !== e1.id && !(e.data.object as Stripe.Subscription).cancel_at_period_end,
  );
  expect(e2.data.previous_attributes).toMatchObject({ cancel_at_period_end: true });
});

test('cancel now: canceled, ended_at set, customer.subscription.deleted', async () => {
  const { subscription } = await activeSubscription(1000);
  const canceled = await ctx.stripe.subscriptions.cancel(subscription.id);
  expect(canceled.status).toBe('canceled');
  expect(canceled.canceled_at).toBeGreaterThan(0);
  expect(canceled.ended_at).toBeGreaterThan(0);
  expect(canceled.cancellation_details?.reason).toBe('cancellation_requested');
  const event = await ctx.webhooks.waitForEvent('customer.subscription.deleted', (e) => (e.data.object as Stripe.Subscription).id === subscription.id);
  expect((event.data.object as Stripe.Subscription).status).toBe('canceled');
  expect((event.data.object as Stripe.Subscription).metadata).toEqual({ pledge_id: 'pledge_7' });
  const retrieved = await ctx.stripe.subscriptions.retrieve(subscription.id);
  expect(retrieved.status).toBe('canceled');
  const err = await stripeError(ctx.stripe.subscriptions.update(subscription.id, { metadata: { x: '1' } }), Stripe.errors.StripeInvalidRequestError);
  expect(err.statusCode).toBe(400);
});

test('subscriptions.list filters by customer and status; expand latest_invoice', async () => {
  const { customer, subscription } = await activeSubscription(1000);
  const active = await ctx.stripe.subscriptions.list({ customer: customer.id, status: 'active', expand: ['data.latest_invoice'] });
  expect(active.data.map((s) => s.id)).toEqual([subscription.id]);
  expect((active.data[0]!.latest_invoice as Stripe.Invoice).status).toBe('paid');
  await ctx.stripe.subscriptions.cancel(subscription.id);
  expect((await ctx.stripe.subscriptions.list({ customer: customer.id })).data, 'the default list hides canceled ones').toEqual([]);
  const canceled = await ctx.stripe.subscriptions.list({ customer: customer.id, status: 'canceled' });
  expect(canceled.data.map((s) => s.id)).toEqual([subscription.id]);
});

test('invoices.list filters by subscription', async () => {
  const { subscription } = await activeSubscription(1000);
  const invoices = await ctx.stripe.invoices.list({ subscription: subscription.id });
  expect(invoices.data.map((i) => i.id)).toEqual([idOf(subscription.latest_invoice)]);
});

test('billing portal: a session for the customer returns a url', async () => {
  const { customer } = await activeSubscription(1000);
  const session = await ctx.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://makerfund.test/account' });
  expect(session.id).toMatch(/^bps_/);
  expect(session).toMatchObject({
    object: 'billing_portal.session',
    customer: customer.id,
    return_url: 'https://makerfund.test/account',
    livemode: false,
    flow: null,
  });
  expect(session.url).toMatch(/^https?:\/\//);
  expect(session.configuration).toMatch(/^bpc_/);
});

test('a yearly price gives a one-year period', async () => {
  const price = await recurringPrice(ctx.stripe, 5000, 'year');
  const { customer, paymentMethod } = await customerWithCard(ctx.stripe);
  const subscription = await ctx.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: paymentMethod.id });
  const item = subscription.items.data[0]!;
  const start = new Date(item.current_period_start * 1000);
  const end = new Date(item.current_period_end * 1000);
  expect(end.getUTCFullYear()).toBe(start.getUTCFullYear() + 1);
  expect(end.getUTCMonth()).toBe(start.getUTCMonth());
  expect(end.getUTCHours()).toBe(start.getUTCHours());
  const invoice = await ctx.stripe.invoices.retrieve(idOf(subscription.latest_invoice)!);
  expect(invoice.amount_paid).toBe(5000);
});

test('a card that needs authentication leaves the subscription incomplete with invoice.payment_action_required', async () => {
  const price = await recurringPrice(ctx.stripe, 1000);
  const customer = await ctx.stripe.customers.create({ email: 'sca@example.com' });
  const pm = await cardPaymentMethod(ctx.stripe, CARDS.authenticationRequiredOnSetup);
  await ctx.stripe.paymentMethods.attach(pm.id, { customer: customer.id });
  const subscription = await ctx.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: pm.id });
  expect(subscription.status).toBe('incomplete');
  const invoiceId = idOf(subscription.latest_invoice)!;
  const invoice = await ctx.stripe.invoices.retrieve(invoiceId);
  expect(invoice).toMatchObject({ status: 'open', amount_paid: 0, amount_remaining: 1000 });
  const payment = (await ctx.stripe.invoicePayments.list({ invoice: invoiceId })).data[0]!;
  const pi = await ctx.stripe.paymentIntents.retrieve(idOf(payment.payment.payment_intent)!);
  expect(pi.status).toBe('requires_action');
  await ctx.webhooks.waitForEvent('invoice.payment_action_required', (e) => (e.data.object as Stripe.Invoice).id === invoiceId);
});

test('deleting the customer cancels its subscriptions', async () => {
  const { customer, subscription } = await activeSubscription(1000);
  await ctx.stripe.customers.del(customer.id);
  const event = await ctx.webhooks.waitForEvent('customer.subscription.deleted', (e) => (e.data.object as Stripe.Subscription).id === subscription.id);
  expect((event.data.object as Stripe.Subscription).status).toBe('canceled');
});

test('changing the price with the default proration creates no invoice now', async () => {
  const { subscription, price } = await activeSubscription(1000);
  const higher = await ctx.stripe.prices.create({ product: price.product as string, currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' } });
  const updated = await ctx.stripe.subscriptions.update(subscription.id, { items: [{ id: subscription.items.data[0]!.id, price: higher.id }] });
  expect(updated.latest_invoice).toBe(subscription.latest_invoice);
  expect(updated.items.data[0]!.price.id).toBe(higher.id);
  const invoices = await ctx.stripe.invoices.list({ subscription: subscription.id });
  expect(invoices.data).toHaveLength(1);
});
