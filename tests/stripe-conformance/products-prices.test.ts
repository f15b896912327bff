import { expect, test } from 'vitest';
import type Stripe from 'stripe';
import { useStripe } from './harness.ts';

const ctx = useStripe();

test('a product is created active with its metadata and emits product.created', async () => {
  const product = await ctx.stripe.products.create({ name: 'Supporter tier', description: 'Monthly support', metadata: { tier_id: 'tier_1' } });
  expect(product.id).toMatch(/^prod_/);
  expect(product).toMatchObject({
    object: 'product',
    name: 'Supporter tier',
    description: 'Monthly support',
    active: true,
    livemode: false,
    metadata: { tier_id: 'tier_1' },
    default_price: null,
  });
  await ctx.webhooks.waitForEvent('product.created', (e) => (e.data.object as Stripe.Product).id === product.id);
});

test('a one-off price has type one_time and no recurring', async () => {
  const product = await ctx.stripe.products.create({ name: 'Pledge' });
  const price = await ctx.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 2500 });
  expect(price.id).toMatch(/^price_/);
  expect(price).toMatchObject({
    object: 'price',
    active: true,
    currency: 'usd',
    unit_amount: 2500,
    type: 'one_time',
    recurring: null,
    billing_scheme: 'per_unit',
    product: product.id,
    livemode: false,
  });
  expect(String(price.unit_amount_decimal)).toBe('2500');
  await ctx.webhooks.waitForEvent('price.created', (e) => (e.data.object as Stripe.Price).id === price.id);
});

test('a monthly price recurs every month with licensed usage', async () => {
  const product = await ctx.stripe.products.create({ name: 'Monthly tier' });
  const price = await ctx.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } });
  expect(price.type).toBe('recurring');
  expect(price.recurring).toMatchObject({ interval: 'month', interval_count: 1, usage_type: 'licensed', meter: null });
  expect(price.unit_amount).toBe(500);
});

test('a yearly price recurs every year', async () => {
  const product = await ctx.stripe.products.create({ name: 'Yearly tier' });
  const price = await ctx.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 5000, recurring: { interval: 'year' } });
  expect(price.type).toBe('recurring');
  expect(price.recurring).toMatchObject({ interval: 'year', interval_count: 1 });
});

test('prices.list filters by product and type; expand product works', async () => {
  const product = await ctx.stripe.products.create({ name: 'Tiered' });
  const oneOff = await ctx.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1000 });
  const monthly = await ctx.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } });
  const all = await ctx.stripe.prices.list({ product: product.id });
  expect(all.data.map((p) => p.id).sort()).toEqual([oneOff.id, monthly.id].sort());
  const recurring = await ctx.stripe.prices.list({ product: product.id, type: 'recurring' });
  expect(recurring.data.map((p) => p.id)).toEqual([monthly.id]);
  const expanded = await ctx.stripe.prices.retrieve(monthly.id, { expand: ['product'] });
  expect((expanded.product as Stripe.Product).name).toBe('Tiered');
});

test('a price can be archived (active false) and a product updated', async () => {
  const product = await ctx.stripe.products.create({ name: 'Old name' });
  const price = await ctx.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 700, recurring: { interval: 'month' } });
  const archived = await ctx.stripe.prices.update(price.id, { active: false });
  expect(archived.active).toBe(false);
  expect(archived.unit_amount).toBe(700);
  const active = await ctx.stripe.prices.list({ product: product.id, active: true });
  expect(active.data).toEqual([]);
  const current = await ctx.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 800, recurring: { interval: 'month' } });
  const renamed = await ctx.stripe.products.update(product.id, { name: 'New name', default_price: current.id });
  expect(renamed.name).toBe('New name');
  expect(renamed.default_price).toBe(current.id);
  await ctx.webhooks.waitForEvent('price.updated', (e) => (e.data.object as Stripe.Price).id === price.id);
  await ctx.webhooks.waitForEvent('product.updated', (e) => (e.data.object as Stripe.Product).id === product.id);
});

test('product_data creates the product inline', async () => {
  const price = await ctx.stripe.prices.create({ currency: 'usd', unit_amount: 1200, product_data: { name: 'Inline product' } });
  expect(typeof price.product).toBe('string');
  const product = await ctx.stripe.products.retrieve(price.product as string);
  expect(product.name).toBe('Inline product');
});
