import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { stripeError, uid, useStripe } from './harness.ts';

const ctx = useStripe();

test('create returns a customer with the given fields and Stripe defaults', async () => {
  const email = `${uid('c')}@example.com`;
  const customer = await ctx.stripe.customers.create({
    email,
    name: 'Pat Ron',
    metadata: { patron_id: 'patron_1' },
  });
  expect(customer.id).toMatch(/^cus_/);
  expect(customer.object).toBe('customer');
  expect(customer.email).toBe(email);
  expect(customer.name).toBe('Pat Ron');
  expect(customer.metadata).toEqual({ patron_id: 'patron_1' });
  expect(customer.livemode).toBe(false);
  expect(customer.balance).toBe(0);
  expect(customer.delinquent).toBe(false);
  expect(customer.invoice_settings.default_payment_method).toBeNull();
  expect(customer.test_clock).toBeNull();
  expect(Math.abs(customer.created - Date.now() / 1000)).toBeLessThan(120);
  const created = await ctx.webhooks.waitForEvent('customer.created', (e) => (e.data.object as Stripe.Customer).id === customer.id);
  expect((created.data.object as Stripe.Customer).email).toBe(email);
});

test('retrieve returns the same customer', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('c')}@example.com` });
  const again = await ctx.stripe.customers.retrieve(customer.id);
  expect(again).toMatchObject({ id: customer.id, object: 'customer', email: customer.email, created: customer.created });
});

test('update merges metadata and emits customer.updated with previous_attributes', async () => {
  const customer = await ctx.stripe.customers.create({ name: 'Before', metadata: { a: '1' } });
  const updated = await ctx.stripe.customers.update(customer.id, { name: 'After', metadata: { b: '2' } });
  expect(updated.name).toBe('After');
  expect(updated.metadata).toEqual({ a: '1', b: '2' });
  // An empty string unsets a metadata key.
  const unset = await ctx.stripe.customers.update(customer.id, { metadata: { a: '' } });
  expect(unset.metadata).toEqual({ b: '2' });
  const event = await ctx.webhooks.waitForEvent(
    'customer.updated',
    (e) => (e.data.object as Stripe.Customer).id === customer.id && (e.data.object as Stripe.Customer).name === 'After',
  );
  expect(event.data.previous_attributes).toMatchObject({ name: 'Before' });
});

test('delete returns a deleted stub; the customer is then retrievable only as deleted', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('c')}@example.com` });
  const deleted = await ctx.stripe.customers.del(customer.id);
  expect(deleted).toEqual(expect.objectContaining({ id: customer.id, object: 'customer', deleted: true }));
  const after = await ctx.stripe.customers.retrieve(customer.id);
  expect(after).toMatchObject({ id: customer.id, deleted: true });
  await ctx.webhooks.waitForEvent('customer.deleted', (e) => (e.data.object as Stripe.Customer).id === customer.id);
  const err = await stripeError(ctx.stripe.customers.update(customer.id, { name: 'x' }), Stripe.errors.StripeInvalidRequestError);
  expect(err.statusCode).toBe(404);
  expect(err.code).toBe('resource_missing');
});

test('list filters by email and returns newest first', async () => {
  const email = `${uid('list')}@example.com`;
  const first = await ctx.stripe.customers.create({ email });
  const second = await ctx.stripe.customers.create({ email });
  await ctx.stripe.customers.create({ email: `${uid('other')}@example.com` });
  const list = await ctx.stripe.customers.list({ email });
  expect(list.object).toBe('list');
  expect(list.url).toBe('/v1/customers');
  expect(list.has_more).toBe(false);
  expect(list.data.map((c) => c.id)).toEqual([second.id, first.id]);
});

test('a PaymentMethod attached to a customer is listed for it and can be detached', async () => {
  const customer = await ctx.stripe.customers.create({ email: `${uid('c')}@example.com` });
  const pm = await ctx.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  expect(pm.customer).toBe(customer.id);
  const listed = await ctx.stripe.customers.listPaymentMethods(customer.id);
  expect(listed.data.map((p) => p.id)).toEqual([pm.id]);
  const detached = await ctx.stripe.paymentMethods.detach(pm.id);
  expect(detached.customer).toBeNull();
  expect((await ctx.stripe.customers.listPaymentMethods(customer.id)).data).toEqual([]);
});
