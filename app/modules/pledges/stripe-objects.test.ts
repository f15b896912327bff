import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { expect, test } from 'vitest';
import { invoicePledgeRef, pledgeRef, servicePeriod } from './stripe-objects.ts';

// Stripe's example events at our API version (../shared/stripe/events).
function example(name: string): Stripe.Event {
  return JSON.parse(readFileSync(new URL(`../../../../shared/stripe/events/${name}`, import.meta.url), 'utf8')) as Stripe.Event;
}

const PLEDGE = '0d6f1c1e-8a8f-4b5e-9a57-2f1f6a0e7c11';
const PROJECT = '6b0c2d55-0a57-4bd8-a1a0-6f5a8a3f3a29';

test('our ids come from metadata; anything else is not ours', () => {
  expect(pledgeRef({ pledge_id: PLEDGE, project_id: PROJECT, tier_id: 'x' })).toEqual({ pledgeId: PLEDGE, projectId: PROJECT });
  expect(pledgeRef({ pledge_id: PLEDGE.toUpperCase() })).toEqual({ pledgeId: PLEDGE, projectId: null });
  expect(pledgeRef({ pledge_id: 'pledge_hp1' })).toBeNull();
  expect(pledgeRef({})).toBeNull();
  expect(pledgeRef(null)).toBeNull();
  // Stripe's own examples carry someone else's metadata.
  const created = example('02-customer.subscription.created.json').data.object as Stripe.Subscription;
  expect(pledgeRef(created.metadata)).toBeNull();
});

test('a subscription invoice names its pledge through parent.subscription_details.metadata', () => {
  const invoice = example('04-invoice.paid.subscription_cycle.json').data.object as Stripe.Invoice;
  expect(invoicePledgeRef(invoice)).toBeNull();
  const ours = { ...invoice, parent: { ...invoice.parent!, subscription_details: { ...invoice.parent!.subscription_details!, metadata: { pledge_id: PLEDGE, project_id: PROJECT } } } };
  expect(invoicePledgeRef(ours)).toEqual({ pledgeId: PLEDGE, projectId: PROJECT });
  expect(invoicePledgeRef({ parent: null })).toBeNull();
});

test("a renewal pays for its line's period, not the invoice's own period_start/end (the previous period)", () => {
  const invoice = example('04-invoice.paid.subscription_cycle.json').data.object as Stripe.Invoice;
  const line = invoice.lines.data[0]!;
  expect(invoice.period_end).toBe(line.period.start);
  expect(servicePeriod(invoice)).toEqual({ start: new Date(line.period.start * 1000), end: new Date(line.period.end * 1000) });
});

test('an invoice of prorations only (a tier change) spans its proration lines', () => {
  const proration = (start: number, end: number) =>
    ({ period: { start, end }, parent: { subscription_item_details: { proration: true } } }) as unknown as Stripe.InvoiceLineItem;
  const invoice = { lines: { data: [proration(2000, 5000), proration(1000, 5000)] } } as unknown as Stripe.Invoice;
  expect(servicePeriod(invoice)).toEqual({ start: new Date(1_000_000), end: new Date(5_000_000) });
  expect(servicePeriod({ lines: { data: [] } } as unknown as Stripe.Invoice)).toBeNull();
});
