// Renewals and dunning with test clocks: simulated time instead of waiting.
import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { advanceClock, CARDS, cardPaymentMethod, customerWithCard, idOf, recurringPrice, useStripe } from './harness.ts';

const ctx = useStripe();
const HOUR = 3600;
const DAY = 24 * HOUR;

async function clockedSubscription(name: string, amount = 500) {
  const now = Math.floor(Date.now() / 1000);
  const clock = await ctx.stripe.testHelpers.testClocks.create({ frozen_time: now, name });
  const { customer, paymentMethod } = await customerWithCard(ctx.stripe, CARDS.visa, { test_clock: clock.id });
  const price = await recurringPrice(ctx.stripe, amount);
  const subscription = await ctx.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    default_payment_method: paymentMethod.id,
    metadata: { tier_id: 'tier_42' },
  });
  expect(subscription.status).toBe('active');
  expect(subscription.test_clock).toBe(clock.id);
  return { clock, customer, price, subscription };
}

const ofSubscription = (subId: string) => (e: Stripe.Event) => {
  const o = e.data.object as { object: string; id: string; parent?: Stripe.Invoice['parent']; subscription?: unknown };
  if (o.object === 'subscription') return o.id === subId;
  if (o.object === 'invoice') return o.parent?.subscription_details?.subscription === subId;
  return false;
};

test('a test clock is created ready at its frozen time and can be deleted', async () => {
  const frozen = Math.floor(Date.now() / 1000) - 60;
  const clock = await ctx.stripe.testHelpers.testClocks.create({ frozen_time: frozen, name: 'lifecycle' });
  expect(clock.id).toMatch(/^clock_/);
  expect(clock).toMatchObject({ object: 'test_helpers.test_clock', frozen_time: frozen, name: 'lifecycle', status: 'ready', livemode: false });
  expect(clock.deletes_after).toBeGreaterThan(frozen);
  const customer = await ctx.stripe.customers.create({ test_clock: clock.id, email: 'clocked@example.com' });
  expect(customer.test_clock).toBe(clock.id);
  const deleted = await ctx.stripe.testHelpers.testClocks.del(clock.id);
  expect(deleted).toMatchObject({ id: clock.id, deleted: true });
});

test('advancing one period renews: a subscription_cycle invoice is paid, events in causal order', async () => {
  const { clock, subscription, customer } = await clockedSubscription('renewal', 500);
  const item = subscription.items.data[0]!;
  // Stripe finalizes and charges a renewal invoice about an hour after creating it.
  const ready = await advanceClock(ctx.stripe, clock.id, item.current_period_end + 2 * HOUR);
  expect(ready.frozen_time).toBe(item.current_period_end + 2 * HOUR);
  const renewed = await ctx.stripe.subscriptions.retrieve(subscription.id);
  expect(renewed.status).toBe('active');
  const newItem = renewed.items.data[0]!;
  expect(newItem.current_period_start).toBe(item.current_period_end);
  expect(newItem.current_period_end).toBeGreaterThan(item.current_period_end + 27 * DAY);
  const invoices = await ctx.stripe.invoices.list({ subscription: subscription.id });
  expect(invoices.data).toHaveLength(2);
  const cycle = invoices.data.find((i) => i.billing_reason === 'subscription_cycle')!;
  expect(cycle).toMatchObject({ status: 'paid', amount_paid: 500, amount_due: 500, customer: customer.id, attempt_count: 1 });
  expect(cycle.parent?.subscription_details?.subscription).toBe(subscription.id);
  expect(cycle.period_start).toBe(item.current_period_start);
  expect(cycle.period_end).toBe(item.current_period_end);
  expect(cycle.lines.data[0]?.period).toEqual({ start: newItem.current_period_start, end: newItem.current_period_end });
  expect(renewed.latest_invoice).toBe(cycle.id);
  const payments = await ctx.stripe.invoicePayments.list({ invoice: cycle.id });
  expect(payments.data[0]).toMatchObject({ status: 'paid', amount_paid: 500 });

  const paid = await ctx.webhooks.waitForEvent('invoice.paid', (e) => (e.data.object as Stripe.Invoice).id === cycle.id);
  expect((paid.data.object as Stripe.Invoice).billing_reason).toBe('subscription_cycle');
  // Order as logged by Stripe (events.list), not webhook arrival order.
  const logged: Stripe.Event[] = [];
  for await (const e of ctx.stripe.events.list({ limit: 100 })) {
    if ((e.data.object as { id?: string }).id === cycle.id) logged.push(e);
    if (logged.length > 30) break;
  }
  const types = logged.reverse().map((e) => e.type);
  for (const t of ['invoice.created', 'invoice.finalized', 'invoice.paid']) expect(types, t).toContain(t);
  expect(types.indexOf('invoice.created')).toBeLessThan(types.indexOf('invoice.finalized'));
  expect(types.indexOf('invoice.finalized')).toBeLessThan(types.indexOf('invoice.paid'));
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('a failing renewal: invoice.payment_failed (attempt 1, next attempt set), past_due, then canceled after retries', async () => {
  const { clock, subscription, customer } = await clockedSubscription('dunning', 500);
  const item = subscription.items.data[0]!;
  // The patron's card stops working after signup.
  const failing = await cardPaymentMethod(ctx.stripe, CARDS.chargeCustomerFail);
  await ctx.stripe.paymentMethods.attach(failing.id, { customer: customer.id });
  await ctx.stripe.subscriptions.update(subscription.id, { default_payment_method: failing.id });
  await ctx.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: failing.id } });

  const firstAttemptAt = item.current_period_end + 2 * HOUR;
  await advanceClock(ctx.stripe, clock.id, firstAttemptAt);
  const pastDue = await ctx.stripe.subscriptions.retrieve(subscription.id);
  expect(pastDue.status).toBe('past_due');
  const cycle = (await ctx.stripe.invoices.list({ subscription: subscription.id })).data.find((i) => i.billing_reason === 'subscription_cycle')!;
  expect(cycle).toMatchObject({ status: 'open', attempted: true, attempt_count: 1, amount_paid: 0, amount_remaining: 500 });
  expect(cycle.next_payment_attempt).toBeGreaterThan(firstAttemptAt - 2 * HOUR);
  const failed = await ctx.webhooks.waitForEvent('invoice.payment_failed', (e) => (e.data.object as Stripe.Invoice).id === cycle.id);
  const failedInvoice = failed.data.object as Stripe.Invoice;
  expect(failedInvoice.attempt_count).toBe(1);
  expect(failedInvoice.next_payment_attempt).toBe(cycle.next_payment_attempt);
  expect(failedInvoice.parent?.subscription_details?.subscription).toBe(subscription.id);
  expect(((await ctx.stripe.customers.retrieve(customer.id)) as Stripe.Customer).delinquent).toBe(true);
  const updated = await ctx.webhooks.waitForEvent(
    'customer.subscription.updated',
    (e) => (e.data.object as Stripe.Subscription).id === subscription.id && (e.data.object as Stripe.Subscription).status === 'past_due',
  );
  expect(updated.data.previous_attributes).toMatchObject({ status: 'active' });

  // Run through Stripe's retry schedule (at most a few weeks), staying short of the next period.
  await advanceClock(ctx.stripe, clock.id, firstAttemptAt + 25 * DAY);
  const after = await ctx.stripe.subscriptions.retrieve(subscription.id);
  expect(['canceled', 'unpaid']).toContain(after.status);
  const invoiceAfter = await ctx.stripe.invoices.retrieve(cycle.id);
  expect(invoiceAfter.attempt_count).toBeGreaterThan(1);
  expect(invoiceAfter.amount_paid).toBe(0);
  if (after.status === 'canceled') {
    expect(after.cancellation_details?.reason).toBe('payment_failed');
    const deleted = await ctx.webhooks.waitForEvent('customer.subscription.deleted', (e) => (e.data.object as Stripe.Subscription).id === subscription.id);
    expect((deleted.data.object as Stripe.Subscription).metadata).toEqual({ tier_id: 'tier_42' });
  } else {
    await ctx.webhooks.waitForEvent(
      'customer.subscription.updated',
      (e) => (e.data.object as Stripe.Subscription).id === subscription.id && (e.data.object as Stripe.Subscription).status === 'unpaid',
    );
  }
  const attempts = ctx.webhooks.eventsOfTypes(['invoice.payment_failed'], (e) => (e.data.object as Stripe.Invoice).id === cycle.id);
  expect(attempts.map((e) => (e.data.object as Stripe.Invoice).attempt_count)).toEqual(
    Array.from({ length: attempts.length }, (_, i) => i + 1),
  );
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('cancel_at_period_end ends the subscription when the clock passes the period end', async () => {
  const { clock, subscription } = await clockedSubscription('period-end-cancel', 500);
  const end = subscription.items.data[0]!.current_period_end;
  await ctx.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
  await advanceClock(ctx.stripe, clock.id, end + HOUR);
  const ended = await ctx.stripe.subscriptions.retrieve(subscription.id);
  expect(ended.status).toBe('canceled');
  expect(ended.ended_at).toBe(end);
  const invoices = await ctx.stripe.invoices.list({ subscription: subscription.id });
  expect(invoices.data.map((i) => i.billing_reason)).toEqual(['subscription_create']);
  await ctx.webhooks.waitForEvent('customer.subscription.deleted', (e) => (e.data.object as Stripe.Subscription).id === subscription.id);
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('events of a renewal: subscription events come with the invoice events of the same subscription', async () => {
  const { clock, subscription } = await clockedSubscription('renewal-events', 700);
  await advanceClock(ctx.stripe, clock.id, subscription.items.data[0]!.current_period_end + 2 * HOUR);
  const paid = await ctx.webhooks.waitForEvent(
    'invoice.paid',
    (e) => ofSubscription(subscription.id)(e) && (e.data.object as Stripe.Invoice).billing_reason === 'subscription_cycle',
  );
  const invoice = paid.data.object as Stripe.Invoice;
  expect(invoice.amount_paid).toBe(700);
  const payment = await ctx.webhooks.waitForEvent('invoice_payment.paid', (e) => (e.data.object as Stripe.InvoicePayment).invoice === invoice.id);
  const pi = await ctx.stripe.paymentIntents.retrieve(idOf((payment.data.object as Stripe.InvoicePayment).payment.payment_intent)!);
  expect(pi).toMatchObject({ status: 'succeeded', amount: 700 });
  await ctx.webhooks.waitForEvent('payment_intent.succeeded', (e) => (e.data.object as Stripe.PaymentIntent).id === pi.id);
  await ctx.webhooks.waitForEvent('charge.succeeded', (e) => (e.data.object as Stripe.Charge).id === idOf(pi.latest_charge));
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('advancing emits test_helpers.test_clock.advancing and .ready', async () => {
  const clock = await ctx.stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000) });
  await advanceClock(ctx.stripe, clock.id, clock.frozen_time + DAY);
  const ready = await ctx.webhooks.waitForEvent('test_helpers.test_clock.ready', (e) => (e.data.object as Stripe.TestHelpers.TestClock).id === clock.id);
  expect((ready.data.object as Stripe.TestHelpers.TestClock)).toMatchObject({ status: 'ready', frozen_time: clock.frozen_time + DAY });
  await ctx.webhooks.waitForEvent('test_helpers.test_clock.advancing', (e) => (e.data.object as Stripe.TestHelpers.TestClock).id === clock.id);
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('a clock cannot go backwards', async () => {
  const clock = await ctx.stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000) });
  const err = await ctx.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: clock.frozen_time - 60 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('prorations from a mid-period upgrade are billed on the renewal invoice', async () => {
  const { clock, subscription, price } = await clockedSubscription('prorated-renewal', 1000);
  const item = subscription.items.data[0]!;
  const higher = await ctx.stripe.prices.create({ product: price.product as string, currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' } });
  // Frozen time: the whole period is unused, so the prorations are exactly -1000 and +2000.
  await ctx.stripe.subscriptions.update(subscription.id, { items: [{ id: item.id, price: higher.id }], proration_behavior: 'create_prorations' });
  await advanceClock(ctx.stripe, clock.id, item.current_period_end + 2 * HOUR);
  const cycle = (await ctx.stripe.invoices.list({ subscription: subscription.id })).data.find((i) => i.billing_reason === 'subscription_cycle')!;
  expect(cycle).toMatchObject({ status: 'paid', amount_paid: 3000, total: 3000 });
  const lines = cycle.lines.data.map((l) => [l.amount, l.parent?.subscription_item_details?.proration ?? l.parent?.invoice_item_details?.proration]);
  expect(lines.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([[-1000, true], [2000, true], [2000, false]]);
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('a renewal with a card that needs authentication emits invoice.payment_action_required', async () => {
  const { clock, subscription, customer } = await clockedSubscription('sca-renewal', 500);
  const sca = await cardPaymentMethod(ctx.stripe, CARDS.authenticationRequiredOnSetup);
  await ctx.stripe.paymentMethods.attach(sca.id, { customer: customer.id });
  await ctx.stripe.subscriptions.update(subscription.id, { default_payment_method: sca.id });
  await advanceClock(ctx.stripe, clock.id, subscription.items.data[0]!.current_period_end + 2 * HOUR);
  const cycle = (await ctx.stripe.invoices.list({ subscription: subscription.id })).data.find((i) => i.billing_reason === 'subscription_cycle')!;
  expect(cycle).toMatchObject({ status: 'open', amount_paid: 0 });
  await ctx.webhooks.waitForEvent('invoice.payment_action_required', (e) => (e.data.object as Stripe.Invoice).id === cycle.id);
  const payment = (await ctx.stripe.invoicePayments.list({ invoice: cycle.id })).data[0]!;
  const pi = await ctx.stripe.paymentIntents.retrieve(idOf(payment.payment.payment_intent)!);
  expect(pi.status).toBe('requires_action');
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('a renewal invoice is created at the period end as a draft and charged about an hour later', async () => {
  const { clock, subscription } = await clockedSubscription('one-hour', 500);
  const end = subscription.items.data[0]!.current_period_end;
  await advanceClock(ctx.stripe, clock.id, end + 10 * 60);
  const draft = (await ctx.stripe.invoices.list({ subscription: subscription.id })).data.find((i) => i.billing_reason === 'subscription_cycle')!;
  expect(draft).toMatchObject({ status: 'draft', amount_due: 500, amount_paid: 0, auto_advance: true });
  expect(draft.created).toBe(end);
  await ctx.webhooks.waitForEvent('invoice.created', (e) => (e.data.object as Stripe.Invoice).id === draft.id);
  await advanceClock(ctx.stripe, clock.id, end + 2 * HOUR);
  const paid = await ctx.stripe.invoices.retrieve(draft.id);
  expect(paid.status).toBe('paid');
  expect(paid.status_transitions.finalized_at! - end).toBeGreaterThanOrEqual(HOUR - 60);
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('a past_due subscription recovers when the patron pays the open invoice with a new card', async () => {
  const { clock, subscription, customer } = await clockedSubscription('recovery', 500);
  const failing = await cardPaymentMethod(ctx.stripe, CARDS.chargeCustomerFail);
  await ctx.stripe.paymentMethods.attach(failing.id, { customer: customer.id });
  await ctx.stripe.subscriptions.update(subscription.id, { default_payment_method: failing.id });
  await advanceClock(ctx.stripe, clock.id, subscription.items.data[0]!.current_period_end + 2 * HOUR);
  expect((await ctx.stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');
  const open = (await ctx.stripe.invoices.list({ subscription: subscription.id, status: 'open' })).data[0]!;
  expect(open.billing_reason).toBe('subscription_cycle');
  const visa = await cardPaymentMethod(ctx.stripe, CARDS.visa);
  await ctx.stripe.paymentMethods.attach(visa.id, { customer: customer.id });
  await ctx.stripe.subscriptions.update(subscription.id, { default_payment_method: visa.id });
  const paid = await ctx.stripe.invoices.pay(open.id, { payment_method: visa.id });
  expect(paid).toMatchObject({ status: 'paid', amount_paid: 500, attempt_count: 2 });
  expect((await ctx.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
  expect(((await ctx.stripe.customers.retrieve(customer.id)) as Stripe.Customer).delinquent).toBe(false);
  await ctx.webhooks.waitForEvent(
    'customer.subscription.updated',
    (e) => (e.data.object as Stripe.Subscription).id === subscription.id && (e.data.object as Stripe.Subscription).status === 'active' && (e.data.previous_attributes as { status?: string } | undefined)?.status === 'past_due',
  );
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('an incomplete subscription not paid within 23 hours is incomplete_expired, its invoice void, nothing billed after', async () => {
  const now = Math.floor(Date.now() / 1000);
  const clock = await ctx.stripe.testHelpers.testClocks.create({ frozen_time: now, name: 'incomplete-expired' });
  const customer = await ctx.stripe.customers.create({ test_clock: clock.id, email: 'late@example.com' });
  const declining = await cardPaymentMethod(ctx.stripe, CARDS.insufficientFunds);
  await ctx.stripe.paymentMethods.attach(declining.id, { customer: customer.id });
  const price = await recurringPrice(ctx.stripe, 500);
  const subscription = await ctx.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: declining.id });
  expect(subscription.status).toBe('incomplete');
  await advanceClock(ctx.stripe, clock.id, now + 24 * HOUR);
  const expired = await ctx.stripe.subscriptions.retrieve(subscription.id);
  expect(expired.status).toBe('incomplete_expired');
  expect((await ctx.stripe.invoices.retrieve(idOf(subscription.latest_invoice)!)).status).toBe('void');
  await advanceClock(ctx.stripe, clock.id, subscription.items.data[0]!.current_period_end + 2 * HOUR);
  expect((await ctx.stripe.invoices.list({ subscription: subscription.id })).data).toHaveLength(1);
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});

test('an incomplete subscription becomes active when its first invoice is paid within 23 hours', async () => {
  const now = Math.floor(Date.now() / 1000);
  const clock = await ctx.stripe.testHelpers.testClocks.create({ frozen_time: now, name: 'incomplete-paid' });
  const customer = await ctx.stripe.customers.create({ test_clock: clock.id, email: 'retry@example.com' });
  const declining = await cardPaymentMethod(ctx.stripe, CARDS.insufficientFunds);
  await ctx.stripe.paymentMethods.attach(declining.id, { customer: customer.id });
  const price = await recurringPrice(ctx.stripe, 500);
  const subscription = await ctx.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: declining.id });
  expect(subscription.status).toBe('incomplete');
  await advanceClock(ctx.stripe, clock.id, now + 2 * HOUR);
  const visa = await cardPaymentMethod(ctx.stripe, CARDS.visa);
  await ctx.stripe.paymentMethods.attach(visa.id, { customer: customer.id });
  const paid = await ctx.stripe.invoices.pay(idOf(subscription.latest_invoice)!, { payment_method: visa.id });
  expect(paid).toMatchObject({ status: 'paid', amount_paid: 500 });
  expect((await ctx.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
  await ctx.webhooks.waitForEvent(
    'customer.subscription.updated',
    (e) => (e.data.object as Stripe.Subscription).id === subscription.id && (e.data.object as Stripe.Subscription).status === 'active',
  );
  await ctx.stripe.testHelpers.testClocks.del(clock.id);
});
