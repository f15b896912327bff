// Focused tests of sandbox behaviour the conformance suite does not cover.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import Stripe from 'stripe';
import { startStripeSandbox, type StripeSandbox } from './index.ts';
import { signPayload } from './webhooks.ts';

let sandbox: StripeSandbox;
let stripe: Stripe;

beforeAll(async () => {
  sandbox = await startStripeSandbox({ port: 0, dataDir: null, webhookRetryDelaysMs: [20, 40], log: () => {} });
  stripe = new Stripe('sk_test_unit', { ...sandbox.stripeConfig, maxNetworkRetries: 0 } as ConstructorParameters<typeof Stripe>[1]);
});
afterAll(async () => {
  await sandbox.close();
});

async function ready(clockId: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await stripe.testHelpers.testClocks.retrieve(clockId)).status === 'ready') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('clock not ready');
}

async function clockedSubscription(card = 'pm_card_visa') {
  const now = Math.floor(Date.now() / 1000);
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: now });
  const customer = await stripe.customers.create({ test_clock: clock.id, email: 'p@example.com' });
  const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  const product = await stripe.products.create({ name: 'Tier' });
  const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } });
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: pm.id });
  const later = await stripe.paymentMethods.attach(card, { customer: customer.id });
  await stripe.subscriptions.update(sub.id, { default_payment_method: later.id });
  return { clock, customer, sub };
}

test('signatures verify with the SDK', () => {
  const payload = JSON.stringify({ id: 'evt_1', object: 'event' });
  const header = signPayload(payload, 'whsec_test', Math.floor(Date.now() / 1000));
  expect(stripe.webhooks.constructEvent(payload, header, 'whsec_test').id).toBe('evt_1');
});

test('afterFinalRetry unpaid and a shorter retry schedule', async () => {
  sandbox.configure({ invoiceRetryDays: [1], afterFinalRetry: 'unpaid' });
  try {
    const { clock, sub } = await clockedSubscription('pm_card_chargeCustomerFail');
    const end = sub.items.data[0]!.current_period_end;
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 3 * 86400 });
    await ready(clock.id);
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.status).toBe('unpaid');
    const invoice = (await stripe.invoices.list({ subscription: sub.id, status: 'open' })).data[0]!;
    expect(invoice.attempt_count).toBe(2);
    expect(invoice.next_payment_attempt).toBeNull();
    // paying it manually with a good card reactivates the subscription
    const paid = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    expect(paid.status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  } finally {
    sandbox.configure({ invoiceRetryDays: [3, 5, 7], afterFinalRetry: 'cancel' });
  }
});

test('a renewal that needs authentication: payment_action_required, then paid on the hosted page', async () => {
  const { clock, sub } = await clockedSubscription('pm_card_authenticationRequired');
  const end = sub.items.data[0]!.current_period_end;
  await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 7200 });
  await ready(clock.id);
  const invoice = (await stripe.invoices.list({ subscription: sub.id, status: 'open' })).data[0]!;
  expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
  const events = await stripe.events.list({ type: 'invoice.payment_action_required', limit: 10 });
  expect(events.data.some((e) => (e.data.object as Stripe.Invoice).id === invoice.id)).toBe(true);
  const payment = (await stripe.invoicePayments.list({ invoice: invoice.id })).data[0]!;
  const piId = payment.payment.payment_intent as string;
  expect((await stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
  const page = await fetch(invoice.hosted_invoice_url!);
  expect(await page.text()).toContain(`/authenticate/${piId}`);
  const res = await fetch(`${sandbox.url}/authenticate/${piId}`, { method: 'POST', body: 'outcome=complete', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe(invoice.hosted_invoice_url);
  expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('paid');
  expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
});

test('create_prorations leaves pending lines for the next renewal invoice', async () => {
  const now = Math.floor(Date.now() / 1000);
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: now });
  const customer = await stripe.customers.create({ test_clock: clock.id });
  const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  const product = await stripe.products.create({ name: 'Tier' });
  const low = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } });
  const high = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' } });
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: low.id }], default_payment_method: pm.id });
  const { current_period_start: start, current_period_end: end } = sub.items.data[0]!;
  const half = start + Math.floor((end - start) / 2);
  await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: half });
  await ready(clock.id);
  await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: high.id }], proration_behavior: 'create_prorations' });
  await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 7200 });
  await ready(clock.id);
  const cycle = (await stripe.invoices.list({ subscription: sub.id })).data.find((i) => i.billing_reason === 'subscription_cycle')!;
  const amounts = cycle.lines.data.map((l) => l.amount).sort((a, b) => a - b);
  const remaining = end - half;
  const expected = [-Math.round((1000 * remaining) / (end - start)), Math.round((3000 * remaining) / (end - start)), 3000].sort((a, b) => a - b);
  expect(amounts).toEqual(expected);
  expect(cycle.status).toBe('paid');
  expect(cycle.amount_paid).toBe(expected.reduce((a, b) => a + b, 0));
});

test('payoutFailure: payout.failed and the money comes back', async () => {
  sandbox.configure({ payoutFailure: true });
  try {
    const pi = await stripe.paymentIntents.create({ amount: 5000, currency: 'usd', payment_method: 'pm_card_bypassPending', confirm: true });
    expect(pi.status).toBe('succeeded');
    const payout = await stripe.payouts.create({ amount: 1000, currency: 'usd' });
    for (let i = 0; i < 300; i++) {
      if ((await stripe.payouts.retrieve(payout.id)).status === 'failed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const failed = await stripe.payouts.retrieve(payout.id);
    expect(failed).toMatchObject({ status: 'failed', failure_code: 'account_closed' });
    const txns = await stripe.balanceTransactions.list({ source: payout.id });
    expect(txns.data.map((t) => t.amount).sort((a, b) => a - b)).toEqual([-1000, 1000]);
  } finally {
    sandbox.configure({ payoutFailure: false });
  }
});

test('an unknown route is a Stripe 404 and the control endpoint accepts JSON', async () => {
  const res = await fetch(`${sandbox.url}/v1/nothing_here`, { headers: { authorization: 'Bearer sk_test_x' } });
  expect(res.status).toBe(404);
  expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  const sw = await fetch(`${sandbox.url}/v1/_sandbox/switches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webhookDelayMs: 5 }) });
  expect(((await sw.json()) as { webhookDelayMs: number }).webhookDelayMs).toBe(5);
  sandbox.configure({ webhookDelayMs: 0 });
});

test('a renewal wave on one clock: every subscription renews once, webhooks arrive in creation order, a failed delivery is retried', async () => {
  const received: Stripe.Event[] = [];
  let failedOnce: string | null = null;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += String(chunk)));
    req.on('end', () => {
      const event = JSON.parse(body) as Stripe.Event;
      // The first invoice.paid of the wave is refused once: Stripe retries it after a delay.
      if (event.type === 'invoice.paid' && failedOnce === null && (event.data.object as Stripe.Invoice).billing_reason === 'subscription_cycle') {
        failedOnce = event.id;
        res.writeHead(500).end();
        return;
      }
      received.push(event);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const endpoint = await stripe.webhookEndpoints.create({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, enabled_events: ['*'] });
  try {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000) });
    const product = await stripe.products.create({ name: 'Wave tier' });
    const price = await stripe.prices.create({ product: product.id, currency: 'eur', unit_amount: 300, recurring: { interval: 'month' } });
    const subs: Stripe.Subscription[] = [];
    for (let i = 0; i < 60; i++) {
      const customer = await stripe.customers.create({ test_clock: clock.id, email: `wave${i}@example.com`, payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
      subs.push(await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] }));
    }
    const end = subs[0]!.items.data[0]!.current_period_end;
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 2 * 3600 });
    await ready(clock.id);
    await sandbox.flushWebhooks();
    await new Promise((r) => setTimeout(r, 100)); // the refused delivery's retry (20 ms)
    await sandbox.flushWebhooks();

    for (const sub of subs) {
      const cycle = (await stripe.invoices.list({ subscription: sub.id })).data.filter((i) => i.billing_reason === 'subscription_cycle');
      expect(cycle.map((i) => [i.status, i.amount_paid])).toEqual([['paid', 300]]);
    }
    const paid = received.filter((e) => e.type === 'invoice.paid' && (e.data.object as Stripe.Invoice).billing_reason === 'subscription_cycle');
    expect(paid).toHaveLength(60);
    expect(paid.map((e) => e.id)).toContain(failedOnce);
    // Apart from the retried one, deliveries follow creation order (events list newest first).
    const created = (await stripe.events.list({ limit: 100, type: 'invoice.paid' })).data.map((e) => e.id).reverse();
    const firstTries = paid.map((e) => e.id).filter((id) => id !== failedOnce);
    expect(firstTries).toEqual(created.filter((id) => firstTries.includes(id)));
  } finally {
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
    receiver.close();
  }
});
