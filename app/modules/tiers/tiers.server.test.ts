import Stripe from 'stripe';
import { afterAll, expect, test } from 'vitest';
import { startStripeSandbox } from '#scripts/stripe-sandbox/index.ts';
import type { Tier, TierFailure } from './tiers.server.ts';

// Configuration is read when app modules first load: point Stripe at a fresh sandbox before that.
const sandbox = await startStripeSandbox({ port: 0, dataDir: null, log: () => {} });
process.env.STRIPE_SECRET_KEY = 'sk_test_x';
process.env.STRIPE_API_BASE = sandbox.url;
process.env.STRIPE_WEBHOOK_SECRETS = 'whsec_test';
const { db } = await import('#app/core/db.server.ts');
const { activePrices, createTier, listPublicTiers, listTiers, moveTier, setTierArchived, updateTier } = await import('./tiers.server.ts');
const { createTierPrice } = await import('./stripe-prices.server.ts');
const { createTestUser } = await import('#tests/factories.ts');
const { createTestPledge, createTestProject, createTestTier } = await import('#tests/factories/projects.ts');
const stripe = new Stripe('sk_test_x', sandbox.stripeConfig);

afterAll(() => sandbox.close());

/** The tier a call returned, or a failed test saying why there is none. */
function saved(result: Tier | TierFailure | null): Tier {
  if (result === null) throw new Error('not found');
  if ('formError' in result) throw new Error(result.formError);
  return result;
}

const tierInput = { name: 'Supporter', monthlyAmount: 500, yearlyAmount: 5000, description: 'Thanks', benefits: ['Name in README'], patronLimit: 10 };

async function priceRows(tierId: string) {
  return db.selectFrom('tier_prices').select(['interval', 'amount', 'currency', 'active', 'stripe_price_id']).where('tier_id', '=', tierId).orderBy('created_at').orderBy('interval').execute();
}

async function stripePrices(productId: string) {
  return (await stripe.prices.list({ product: productId, limit: 100 })).data;
}

test('a new tier gets a monthly and a yearly Stripe price on the project’s product, tagged with the tier id', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id, { currency: 'eur' });
  const tier = saved(await createTier(db, { projectId: project.id, makerId: maker.id }, tierInput));
  expect(tier).toMatchObject({ name: 'Supporter', monthlyAmount: 500, yearlyAmount: 5000, benefits: ['Name in README'], patronLimit: 10, position: 0, archivedAt: null });
  const rows = await priceRows(tier.id);
  expect(rows.map(({ interval, amount, currency, active }) => ({ interval, amount, currency, active }))).toEqual([
    { interval: 'month', amount: 500, currency: 'eur', active: true },
    { interval: 'year', amount: 5000, currency: 'eur', active: true },
  ]);
  for (const row of rows) {
    const price = await stripe.prices.retrieve(row.stripe_price_id);
    expect(price).toMatchObject({
      product: project.stripe_product_id,
      currency: 'eur',
      unit_amount: row.amount,
      active: true,
      recurring: { interval: row.interval, interval_count: 1 },
      metadata: { tier_id: tier.id },
    });
  }
});

test('a monthly-only tier has one price; tiers are placed after the existing ones', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  await createTestTier(project);
  const second = saved(await createTier(db, { projectId: project.id, makerId: maker.id }, { ...tierInput, yearlyAmount: null }));
  expect(second.position).toBe(1);
  expect((await priceRows(second.id)).map((row) => row.interval)).toEqual(['month']);
});

test('another maker cannot add, edit, move or archive tiers in a project, and no Stripe price is made', async () => {
  const [ada, grace] = [await createTestUser(), await createTestUser()];
  const project = await createTestProject(ada.id);
  const tier = await createTestTier(project, { name: 'Mine' });
  const before = await stripePrices(project.stripe_product_id as string);
  expect(await createTier(db, { projectId: project.id, makerId: grace.id }, tierInput)).toBeNull();
  expect(await updateTier(db, { projectId: project.id, tierId: tier.id, makerId: grace.id }, { ...tierInput, monthlyAmount: 900 })).toBeNull();
  expect(await moveTier(db, { projectId: project.id, tierId: tier.id, makerId: grace.id }, 'down')).toBe(false);
  expect(await setTierArchived(db, { projectId: project.id, tierId: tier.id, makerId: grace.id }, true)).toBe(false);
  // A tier id paired with a project of one's own does not reach another maker's tier either.
  const graceProject = await createTestProject(grace.id);
  expect(await updateTier(db, { projectId: graceProject.id, tierId: tier.id, makerId: grace.id }, tierInput)).toBeNull();
  expect(await setTierArchived(db, { projectId: graceProject.id, tierId: tier.id, makerId: grace.id }, true)).toBe(false);
  expect(await listTiers(db, project.id, { includeArchived: true })).toEqual([expect.objectContaining({ name: 'Mine', monthlyAmount: 500, archivedAt: null })]);
  expect(await stripePrices(project.stripe_product_id as string)).toHaveLength(before.length);
});

test('a new price creates a new Stripe price and a new active row; the old row stays, inactive, and its Stripe price is archived', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const tier = await createTestTier(project, { monthlyAmount: 500, yearlyAmount: 5000 });
  const [oldMonth, oldYear] = await priceRows(tier.id);
  const ref = { projectId: project.id, tierId: tier.id, makerId: maker.id };

  const updated = await updateTier(db, ref, { ...tierInput, monthlyAmount: 700, yearlyAmount: 5000 });
  expect(updated).toMatchObject({ monthlyAmount: 700, yearlyAmount: 5000 });
  const rows = await priceRows(tier.id);
  expect(rows).toHaveLength(3);
  expect(rows.find((row) => row.stripe_price_id === oldMonth?.stripe_price_id)).toMatchObject({ amount: 500, active: false });
  expect(rows.find((row) => row.stripe_price_id === oldYear?.stripe_price_id)).toMatchObject({ amount: 5000, active: true });
  const newMonth = rows.find((row) => row.interval === 'month' && row.active);
  expect(newMonth?.amount).toBe(700);
  expect(newMonth?.stripe_price_id).not.toBe(oldMonth?.stripe_price_id);
  expect(await stripe.prices.retrieve(newMonth?.stripe_price_id as string)).toMatchObject({ unit_amount: 700, active: true, metadata: { tier_id: tier.id } });
  expect((await stripe.prices.retrieve(oldMonth?.stripe_price_id as string)).active).toBe(false);
  expect((await activePrices(db, [tier.id])).get(tier.id)?.month?.stripePriceId).toBe(newMonth?.stripe_price_id);
});

test('going back to an earlier amount is a new price too, not the old one revived', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const tier = await createTestTier(project, { monthlyAmount: 500 });
  const ref = { projectId: project.id, tierId: tier.id, makerId: maker.id };
  await updateTier(db, ref, { ...tierInput, yearlyAmount: null, monthlyAmount: 600 });
  await updateTier(db, ref, { ...tierInput, yearlyAmount: null, monthlyAmount: 500 });
  const rows = await priceRows(tier.id);
  expect(rows.map((row) => [row.amount, row.active])).toEqual([[500, false], [600, false], [500, true]]);
  expect(new Set(rows.map((row) => row.stripe_price_id)).size).toBe(3);
});

test('editing only the words of a tier leaves its prices alone; removing the yearly price retires it', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const tier = await createTestTier(project, { monthlyAmount: 500, yearlyAmount: 5000 });
  const ref = { projectId: project.id, tierId: tier.id, makerId: maker.id };
  const before = await priceRows(tier.id);
  await updateTier(db, ref, { ...tierInput, name: 'Renamed', benefits: ['A', 'B'], monthlyAmount: 500, yearlyAmount: 5000 });
  expect(await priceRows(tier.id)).toEqual(before);
  expect((await stripePrices(project.stripe_product_id as string)).length).toBe(2);

  const updated = await updateTier(db, ref, { ...tierInput, monthlyAmount: 500, yearlyAmount: null });
  expect(updated).toMatchObject({ yearlyAmount: null });
  const rows = await priceRows(tier.id);
  expect(rows.map((row) => [row.interval, row.active])).toEqual([['month', true], ['year', false]]);
  expect((await stripe.prices.retrieve(before[1]?.stripe_price_id as string)).active).toBe(false);
});

test('simultaneous price edits never fail or leave two active prices: each wins in turn or is told to reload', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const tier = await createTestTier(project, { monthlyAmount: 500 });
  const ref = { projectId: project.id, tierId: tier.id, makerId: maker.id };
  const amounts = [800, 900, 1000, 1100, 1200];
  const results = await Promise.all(amounts.map((monthlyAmount) => updateTier(db, ref, { ...tierInput, yearlyAmount: null, monthlyAmount })));
  const wins = results.filter((result) => result !== null && !('formError' in result));
  expect(wins.length).toBeGreaterThanOrEqual(1);
  for (const result of results) expect(result === null ? 'missing' : 'formError' in result ? result.formError : 'saved').toMatch(/^(saved|This tier’s price was changed)/);
  const active = (await priceRows(tier.id)).filter((row) => row.active);
  expect(active).toHaveLength(1);
  const [saved] = await listTiers(db, project.id, { includeArchived: true });
  expect(active[0]?.amount).toBe(saved?.monthlyAmount);
  // Every price that lost is archived in Stripe too; only the active one is open to new patrons.
  const open = (await stripePrices(project.stripe_product_id as string)).filter((price) => price.active);
  expect(open.map((price) => price.id)).toEqual([active[0]?.stripe_price_id]);
});

test('tiers move up and down, and archived tiers keep their place but leave the public list', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const [a, b, c] = [await createTestTier(project, { name: 'A' }), await createTestTier(project, { name: 'B' }), await createTestTier(project, { name: 'C' })];
  const ref = (tierId: string) => ({ projectId: project.id, tierId, makerId: maker.id });
  const names = async () => (await listTiers(db, project.id, { includeArchived: true })).map((tier) => tier.name);

  expect(await moveTier(db, ref(c.id), 'up')).toBe(true);
  expect(await names()).toEqual(['A', 'C', 'B']);
  expect(await moveTier(db, ref(a.id), 'up')).toBe(true); // already first: nothing moves
  expect(await names()).toEqual(['A', 'C', 'B']);
  expect(await moveTier(db, ref(a.id), 'down')).toBe(true);
  expect(await names()).toEqual(['C', 'A', 'B']);
  expect((await listTiers(db, project.id, { includeArchived: true })).map((tier) => tier.position)).toEqual([0, 1, 2]);

  expect(await setTierArchived(db, ref(a.id), true)).toBe(true);
  expect((await listPublicTiers(db, project.id)).map((tier) => tier.name)).toEqual(['C', 'B']);
  expect(await names()).toEqual(['C', 'A', 'B']);
  expect(await setTierArchived(db, ref(a.id), false)).toBe(true);
  expect((await listPublicTiers(db, project.id)).map((tier) => tier.name)).toEqual(['C', 'A', 'B']);
  void b;
});

test('public tiers carry the places held: live pledges and open checkouts, not ended or expired ones', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const tier = await createTestTier(project, { patronLimit: 10 });
  for (const status of ['active', 'past_due', 'active', 'ended', 'expired'] as const) {
    await createTestPledge({ patronId: (await createTestUser()).id, tier, status });
  }
  await createTestPledge({ patronId: (await createTestUser()).id, tier, status: 'pending', checkoutExpiresAt: new Date(Date.now() + 60_000) });
  await createTestPledge({ patronId: (await createTestUser()).id, tier, status: 'pending', checkoutExpiresAt: new Date(Date.now() - 60_000) });
  expect(await listPublicTiers(db, project.id)).toEqual([expect.objectContaining({ id: tier.id, patronLimit: 10, held: 4 })]);
});

test('a retried price request (same tier, interval, replaced row and amount) gets the same Stripe price back', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const input = { productId: project.stripe_product_id as string, tierId: '7d2d1c8e-0d4b-4a53-9f0e-3c2a1b0e9f11', currency: 'eur', interval: 'month' as const, amount: 500, replacing: null };
  const first = await createTierPrice(input);
  expect(await createTierPrice(input)).toBe(first);
  expect(await createTierPrice({ ...input, amount: 600 })).not.toBe(first);
  expect(await createTierPrice({ ...input, replacing: '0b7f5f5e-4d8a-4d43-9a55-1c7e3c2b9a10' })).not.toBe(first);
});

test('when Stripe fails, the maker is told and nothing is saved; the project’s product is made later, once', async () => {
  const maker = await createTestUser();
  sandbox.configure({ failureRate: 1 });
  let project;
  try {
    // The project itself does not depend on Stripe: it is created without its product.
    project = await createTestProject(maker.id);
    expect(project.stripe_product_id).toBeNull();
    const failed = await createTier(db, { projectId: project.id, makerId: maker.id }, tierInput);
    expect(failed).toEqual({ status: 502, formError: 'We could not reach Stripe to set up the price, so nothing was saved. Please try again in a moment.' });
    expect(await listTiers(db, project.id, { includeArchived: true })).toEqual([]);
  } finally {
    sandbox.configure({ failureRate: 0 });
  }
  const tier = saved(await createTier(db, { projectId: project.id, makerId: maker.id }, tierInput));
  const row = await db.selectFrom('projects').select('stripe_product_id').where('id', '=', project.id).executeTakeFirstOrThrow();
  expect(row.stripe_product_id).toMatch(/^prod_/);
  expect((await stripe.products.retrieve(row.stripe_product_id as string)).metadata).toEqual({ project_id: project.id });
  expect((await priceRows(tier.id)).map((price) => price.interval)).toEqual(['month', 'year']);

  // A price edit while Stripe is down changes nothing either.
  const before = await priceRows(tier.id);
  sandbox.configure({ failureRate: 1 });
  try {
    const failed = await updateTier(db, { projectId: project.id, tierId: tier.id, makerId: maker.id }, { ...tierInput, monthlyAmount: 900 });
    expect(failed).toMatchObject({ status: 502 });
  } finally {
    sandbox.configure({ failureRate: 0 });
  }
  expect(await priceRows(tier.id)).toEqual(before);
  expect((await listTiers(db, project.id, { includeArchived: true }))[0]?.monthlyAmount).toBe(500);
});
