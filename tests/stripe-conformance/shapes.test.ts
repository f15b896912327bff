// Field shapes: each object returned by the API has exactly the top-level fields of
// Stripe's example object for it (shared/stripe/fixtures3.json, `resources[<type>]`),
// with the few documented differences of API version 2026-10-28.endive listed below.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type Stripe from 'stripe';
import { CARDS, customerWithCard, idOf, paidIntent, realStripe, recurringPrice, useStripe, waitFor, NO_REDIRECTS } from './harness.ts';
import { launchBrowser, onboardedExpressAccount, startReturnSite } from './browser.ts';

const ctx = useStripe();
const FIXTURES_PATH = new URL('../../../shared/stripe/fixtures3.json', import.meta.url);
const fixtures = JSON.parse(readFileSync(FIXTURES_PATH, 'utf8')) as { resources: Record<string, Record<string, unknown>> };

/** Fields the fixture lists that this API version no longer returns: must be absent. */
const REMOVED: Record<string, string[]> = {
  // Invoices lost `subscription` (now parent.subscription_details.subscription), like
  // `charge` and `payment_intent` before it; the SDK's Invoice type has none of them.
  invoice: ['subscription'],
};
/** Includable fields: only present when expanded (e.g. charge.refunds since 2022-11-15). */
const INCLUDABLE: Record<string, string[]> = {
  charge: ['refunds'],
};
/**
 * Fields the SDK types of this API version declare that the fixture snapshot predates:
 * tolerated (Stripe may return them), not required.
 */
const NEWER_THAN_FIXTURE: Record<string, string[]> = {
  payment_intent: ['allowed_payment_method_types', 'payment_record'],
  setup_intent: ['allowed_payment_method_types'],
  'checkout.session': ['allowed_payment_method_types'],
  dispute: ['intended_submission_method'],
  product: ['tax_details'],
  subscription_item: ['current_trial'],
  charge: ['transfer'],
};

function expectShape(type: string, object: unknown): void {
  const fixture = fixtures.resources[type];
  expect(fixture, `fixture for ${type}`).toBeDefined();
  const actual = Object.keys(object as object).filter((k) => k !== 'lastResponse');
  const removed = REMOVED[type] ?? [];
  const optional = new Set([...(INCLUDABLE[type] ?? []), ...(NEWER_THAN_FIXTURE[type] ?? [])]);
  const expected = Object.keys(fixture!).filter((k) => !removed.includes(k));
  const missing = expected.filter((k) => !optional.has(k) && !actual.includes(k)).sort();
  const unexpected = actual.filter((k) => !expected.includes(k) && !optional.has(k)).sort();
  expect({ type, missing, unexpected }).toEqual({ type, missing: [], unexpected: [] });
  const objectField = (object as { object?: string }).object;
  if ('object' in fixture!) expect(objectField).toBe(fixture!.object);
}

let browser: Browser | null = null;
let site: Awaited<ReturnType<typeof startReturnSite>> | null = null;
type Flow = Record<string, unknown>;
/** Objects by label, or the error that kept the flow from producing them. */
let flow: Promise<{ objects: Flow; errors: Record<string, unknown> }> | null = null;

beforeAll(async () => {
  site = await startReturnSite();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

/**
 * One realistic flow through every resource the app touches, run once for all tests.
 * Each stage records its failure against the labels it would have produced, so one
 * missing feature fails only the shape tests that depend on it.
 */
function realisticFlow(): Promise<{ objects: Flow; errors: Record<string, unknown> }> {
  flow ??= (async () => {
    const s = ctx.stripe;
    const out: Flow = {};
    const errors: Record<string, unknown> = {};
    const stage = async (labels: string[], run: () => Promise<void>) => {
      try {
        await run();
      } catch (error) {
        for (const l of labels) if (!(l in out)) errors[l] = error;
      }
    };
    const { customer, paymentMethod } = await customerWithCard(s);
    const price = await recurringPrice(s, 1000);
    await stage(['customer', 'payment_method', 'price', 'product'], async () => {
      out.customer = await s.customers.retrieve(customer.id);
      out.payment_method = await s.paymentMethods.retrieve(paymentMethod.id);
      out.price = await s.prices.retrieve(price.id);
      out.product = await s.products.retrieve(price.product as string);
    });
    await stage(['setup_intent'], async () => {
      const si = await s.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_visa', ...NO_REDIRECTS, usage: 'off_session', confirm: true });
      out.setup_intent = await s.setupIntents.retrieve(si.id);
    });
    await stage(['payment_intent', 'charge', 'balance_transaction', 'refund'], async () => {
      const pi = await paidIntent(s, 1000);
      out.payment_intent = await s.paymentIntents.retrieve(pi.id);
      const charge = await s.charges.retrieve(idOf(pi.latest_charge)!);
      out.balance_transaction = await s.balanceTransactions.retrieve(idOf(charge.balance_transaction)!);
      const refund = await s.refunds.create({ charge: charge.id, amount: 100 });
      out.refund = await s.refunds.retrieve(refund.id);
      out.charge = await s.charges.retrieve(charge.id);
    });
    await stage(['dispute'], async () => {
      const disputed = await paidIntent(s, 1000, CARDS.createDispute);
      const dispute = await waitFor(async () => (await s.disputes.list({ charge: idOf(disputed.latest_charge)! })).data[0]);
      out.dispute = await s.disputes.retrieve(dispute.id);
    });
    await stage(['checkout.session'], async () => {
      const session = await s.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price: price.id, quantity: 1 }],
        success_url: 'https://makerfund.test/success',
        cancel_url: 'https://makerfund.test/cancel',
      });
      out['checkout.session'] = await s.checkout.sessions.retrieve(session.id);
    });
    await stage(['subscription', 'subscription_item', 'subscription_item (retrieved)', 'invoice', 'invoice_payment'], async () => {
      const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: paymentMethod.id });
      const subscription = await s.subscriptions.retrieve(sub.id);
      out.subscription = subscription;
      out.subscription_item = subscription.items.data[0];
      out['subscription_item (retrieved)'] = await s.subscriptionItems.retrieve(subscription.items.data[0]!.id);
      out.invoice = await s.invoices.retrieve(idOf(subscription.latest_invoice)!);
      out.invoice_payment = (await s.invoicePayments.list({ invoice: idOf(subscription.latest_invoice)! })).data[0];
    });
    await stage(['test_helpers.test_clock'], async () => {
      const clock = await s.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000) });
      out['test_helpers.test_clock'] = await s.testHelpers.testClocks.retrieve(clock.id);
    });
    await stage(['billing_portal.session'], async () => {
      out['billing_portal.session'] = await s.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://makerfund.test/account' });
    });
    await stage(['account', 'account_link'], async () => {
      const express = await s.accounts.create({ type: 'express', country: 'US', capabilities: { transfers: { requested: true } } });
      out.account = await s.accounts.retrieve(express.id);
      out.account_link = await s.accountLinks.create({
        account: express.id,
        type: 'account_onboarding',
        refresh_url: 'https://makerfund.test/r',
        return_url: 'https://makerfund.test/done',
      });
    });
    await stage(['balance', 'webhook_endpoint', 'event', 'event (delivered)'], async () => {
      out.balance = await s.balance.retrieve();
      out.webhook_endpoint = await s.webhookEndpoints.retrieve(ctx.webhooks.endpoint!.id);
      const created = await ctx.webhooks.waitForEvent('customer.created', (e) => (e.data.object as Stripe.Customer).id === customer.id);
      out.event = await s.events.retrieve(created.id);
      out['event (delivered)'] = created;
    });
    await stage(['account (onboarded)', 'transfer', 'transfer_reversal', 'payout'], async () => {
      browser = await launchBrowser();
      const maker = await onboardedExpressAccount(s, { realStripe, returnBase: site!.url, browser });
      out['account (onboarded)'] = await s.accounts.retrieve(maker.id);
      // Enough available funds even after the dispute above withdrew 2500 from the balance.
      await paidIntent(s, 10_000, CARDS.bypassPending);
      const transfer = await s.transfers.create({ amount: 1500, currency: 'usd', destination: maker.id });
      const reversal = await s.transfers.createReversal(transfer.id, { amount: 100 });
      out.transfer = await s.transfers.retrieve(transfer.id);
      out.transfer_reversal = await s.transfers.retrieveReversal(transfer.id, reversal.id);
      const payout = await s.payouts.create({ amount: 500, currency: 'usd' }, { stripeAccount: maker.id });
      out.payout = await s.payouts.retrieve(payout.id, {}, { stripeAccount: maker.id });
    });
    return { objects: out, errors };
  })();
  return flow;
}

async function objectFor(label: string): Promise<unknown> {
  const { objects, errors } = await realisticFlow();
  if (label in errors) throw errors[label];
  expect(objects[label], `the flow produced a ${label}`).toBeDefined();
  return objects[label];
}

const CASES: [label: string, type: string][] = [
  ['customer', 'customer'],
  ['product', 'product'],
  ['price', 'price'],
  ['payment_method', 'payment_method'],
  ['setup_intent', 'setup_intent'],
  ['payment_intent', 'payment_intent'],
  ['charge', 'charge'],
  ['balance_transaction', 'balance_transaction'],
  ['refund', 'refund'],
  ['dispute', 'dispute'],
  ['checkout.session', 'checkout.session'],
  ['subscription', 'subscription'],
  ['subscription_item', 'subscription_item'],
  ['subscription_item (retrieved)', 'subscription_item'],
  ['invoice', 'invoice'],
  ['invoice_payment', 'invoice_payment'],
  ['test_helpers.test_clock', 'test_helpers.test_clock'],
  ['billing_portal.session', 'billing_portal.session'],
  ['account', 'account'],
  ['account (onboarded)', 'account'],
  ['account_link', 'account_link'],
  ['transfer', 'transfer'],
  ['transfer_reversal', 'transfer_reversal'],
  ['balance', 'balance'],
  ['payout', 'payout'],
  ['webhook_endpoint', 'webhook_endpoint'],
  ['event', 'event'],
  ['event (delivered)', 'event'],
];

test.each(CASES)('%s has the fixture’s top-level fields', async (label, type) => {
  expectShape(type, await objectFor(label));
});

test('nested lists are list objects: subscription.items and invoice.lines', async () => {
  const sub = (await objectFor('subscription')) as Stripe.Subscription;
  expect(sub.items).toMatchObject({ object: 'list', has_more: false, url: `/v1/subscription_items?subscription=${sub.id}` });
  const invoice = (await objectFor('invoice')) as Stripe.Invoice;
  expect(invoice.lines).toMatchObject({ object: 'list', has_more: false, url: `/v1/invoices/${invoice.id}/lines` });
  expectShape('line_item', invoice.lines.data[0]);
});

test('nested lists are list objects: transfer.reversals', async () => {
  const transfer = (await objectFor('transfer')) as Stripe.Transfer;
  expect(transfer.reversals).toMatchObject({ object: 'list', url: `/v1/transfers/${transfer.id}/reversals` });
  expect(transfer.reversals.data).toHaveLength(1);
});

test('a charge has refunds only when expanded', async () => {
  const charge = (await objectFor('charge')) as Stripe.Charge;
  expect('refunds' in charge).toBe(false);
  const expanded = await ctx.stripe.charges.retrieve(charge.id, { expand: ['refunds'] });
  expect(expanded.refunds).toMatchObject({ object: 'list', url: `/v1/charges/${charge.id}/refunds` });
  expect(expanded.refunds?.data).toHaveLength(1);
});

test('a webhook endpoint shows its secret only on creation', async () => {
  expect('secret' in ((await objectFor('webhook_endpoint')) as object)).toBe(false);
  expect(ctx.webhooks.endpoint?.secret).toMatch(/^whsec_/);
});
