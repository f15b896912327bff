import Stripe from 'stripe';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startStripeSandbox } from '#scripts/stripe-sandbox/index.ts';
import { Browserish, decodeEntities, fieldMessages, logIn, startTestApp } from './http.ts';
import type { TestUser } from './factories.ts';

// Configuration is read when app modules first load: point Stripe at a fresh sandbox before that.
const sandbox = await startStripeSandbox({ port: 0, dataDir: null, log: () => {} });
process.env.STRIPE_SECRET_KEY = 'sk_test_x';
process.env.STRIPE_API_BASE = sandbox.url;
process.env.STRIPE_WEBHOOK_SECRETS = 'whsec_test';
process.env.PLATFORM_FEE_PERCENT = '5';
const { db } = await import('#app/core/db.server.ts');
const { createTestUser } = await import('./factories.ts');
const { createTestPledge, createTestProject, createTestTier } = await import('./factories/projects.ts');
const stripe = new Stripe('sk_test_x', sandbox.stripeConfig);

let app: Awaited<ReturnType<typeof startTestApp>>;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
  await sandbox.close();
});

function visibleText(html: string): string {
  return decodeEntities(html.replace(/<!-- -->/g, '').replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/** The tier cards of a project page, in page order: each card's HTML. */
function tierCards(html: string): string[] {
  return html.split('<li class="card tier-card">').slice(1).map((card) => card.slice(0, card.indexOf('</li><li class="card tier-card">') >>> 0));
}

async function tierRows(projectId: string) {
  return db.selectFrom('tiers').selectAll().where('project_id', '=', projectId).orderBy('position').execute();
}

async function priceRows(projectId: string) {
  return db
    .selectFrom('tier_prices')
    .innerJoin('tiers', 'tiers.id', 'tier_prices.tier_id')
    .select(['tier_prices.tier_id', 'tier_prices.interval', 'tier_prices.amount', 'tier_prices.active', 'tier_prices.stripe_price_id'])
    .where('tiers.project_id', '=', projectId)
    .orderBy('tier_prices.created_at')
    .execute();
}

async function stripePriceIds(): Promise<string[]> {
  return (await stripe.prices.list({ limit: 100 })).data.map((price) => price.id);
}

const tierForm = { name: 'Supporter', monthlyAmount: '4.50', yearlyAmount: '45', description: 'Keeps the lights on.', benefits: 'Name in the README\nEarly builds', patronLimit: '10' };

test('a maker creates a tier in major units; it is stored in minor units with Stripe prices for month and year', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id, { currency: 'usd' });
  const browser = await logIn(app.url, maker);
  const formPage = await (await browser.get(`/studio/projects/${project.id}/tiers/new`)).text();
  expect(visibleText(formPage)).toContain('Prices are in USD.');
  // The benefits box takes 10 lines, not 10 characters.
  expect(formPage).toMatch(/<textarea [^>]*name="benefits"(?![^>]*maxLength="10")[^>]*>/);

  const response = await browser.post(`/studio/projects/${project.id}/tiers/new`, tierForm);
  expect(response.status).toBe(302);
  const [tier] = await tierRows(project.id);
  expect(response.headers.get('location')).toBe(`/studio/projects/${project.id}/edit?tier=${tier?.id}`);
  expect(tier).toMatchObject({ name: 'Supporter', monthly_amount: 450, yearly_amount: 4500, description: 'Keeps the lights on.', benefits: ['Name in the README', 'Early builds'], patron_limit: 10, archived_at: null });
  const prices = await priceRows(project.id);
  expect(prices.map(({ interval, amount, active }) => ({ interval, amount, active }))).toEqual([
    { interval: 'month', amount: 450, active: true },
    { interval: 'year', amount: 4500, active: true },
  ]);
  for (const row of prices) {
    expect(await stripe.prices.retrieve(row.stripe_price_id)).toMatchObject({
      product: project.stripe_product_id,
      unit_amount: row.amount,
      currency: 'usd',
      recurring: { interval: row.interval },
      metadata: { tier_id: tier?.id },
    });
  }
  const edit = visibleText(await (await browser.get(response.headers.get('location') as string)).text());
  expect(edit).toContain('Tier saved.');
  expect(edit).toContain('Supporter');
  expect(edit).toContain('$4.50 / month · $45 / year · 10 of 10 left');
});

test('bad tier input is refused with 400 next to the field; no tier, no price row and no Stripe price is made', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id, { currency: 'usd' });
  const browser = await logIn(app.url, maker);
  const stripeBefore = await stripePriceIds();
  const cases: [Record<string, string>, string, string][] = [
    [{ monthlyAmount: '0' }, 'monthlyAmount', 'Stripe cannot charge less than $0.50'],
    [{ monthlyAmount: '-5' }, 'monthlyAmount', 'Enter an amount in digits, like 4.50'],
    [{ monthlyAmount: '4.555' }, 'monthlyAmount', 'Use at most 2 digits after the dot'],
    [{ monthlyAmount: '1e3' }, 'monthlyAmount', 'Enter an amount in digits, like 4.50'],
    [{ monthlyAmount: '2000000' }, 'monthlyAmount', 'A monthly price is at most $1,000,000'],
    [{ monthlyAmount: '99999999999999999999' }, 'monthlyAmount', 'That amount is far too large'],
    [{ monthlyAmount: '' }, 'monthlyAmount', 'Enter the monthly price'],
    [{ monthlyAmount: '5', yearlyAmount: '60' }, 'yearlyAmount', 'A yearly price is a discount: make it less than 12 monthly payments ($60)'],
    [{ name: 'x'.repeat(61) }, 'name', 'A tier name has at most 60 characters'],
    [{ description: 'x'.repeat(2001) }, 'description', 'A description has at most 2000 characters'],
    [{ benefits: Array.from({ length: 11 }, (_, i) => `Benefit ${i}`).join('\n') }, 'benefits', 'At most 10 benefits, one per line'],
    [{ benefits: 'x'.repeat(121) }, 'benefits', 'Each benefit has at most 120 characters'],
    [{ patronLimit: '0' }, 'patronLimit', 'A limit needs room for at least 1 patron'],
    [{ patronLimit: '100001' }, 'patronLimit', 'At most 100,000 patrons'],
  ];
  for (const [change, field, message] of cases) {
    const response = await browser.post(`/studio/projects/${project.id}/tiers/new`, { ...tierForm, ...change });
    expect(response.status, JSON.stringify(change)).toBe(400);
    expect(fieldMessages(await response.text(), field), JSON.stringify(change)).toEqual([message]);
  }
  // Keys the form never has, including ones that would let a client choose money or ownership.
  for (const key of ['currency', 'projectId', 'stripePriceId', 'position', 'monthly_amount']) {
    const response = await browser.post(`/studio/projects/${project.id}/tiers/new`, { ...tierForm, [key]: '1' });
    expect(response.status, key).toBe(400);
  }
  expect(await tierRows(project.id)).toEqual([]);
  expect(await priceRows(project.id)).toEqual([]);
  expect(await stripePriceIds()).toEqual(stripeBefore);
});

test('a JPY project takes whole yen: "500" is 500, "4.50" is refused', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id, { currency: 'jpy' });
  const browser = await logIn(app.url, maker);
  const refused = await browser.post(`/studio/projects/${project.id}/tiers/new`, { name: 'Coffee', monthlyAmount: '4.50' });
  expect(refused.status).toBe(400);
  expect(fieldMessages(await refused.text(), 'monthlyAmount')).toEqual(['JPY has no smaller unit: enter a whole amount, like 500']);
  expect((await browser.post(`/studio/projects/${project.id}/tiers/new`, { name: 'Coffee', monthlyAmount: '500' })).status).toBe(302);
  const [tier] = await tierRows(project.id);
  expect(tier?.monthly_amount).toBe(500);
  const [price] = await priceRows(project.id);
  expect(await stripe.prices.retrieve(price?.stripe_price_id as string)).toMatchObject({ currency: 'jpy', unit_amount: 500 });
});

test('editing a price makes a new Stripe price and a new active row; the old row stays, inactive, for existing patrons', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const tier = await createTestTier(project, { name: 'Gold', monthlyAmount: 500 });
  const pat = await createTestUser();
  await createTestPledge({ patronId: pat.id, tier });
  const [oldPrice] = await priceRows(project.id);
  const browser = await logIn(app.url, maker);

  const formPage = await (await browser.get(`/studio/projects/${project.id}/tiers/${tier.id}`)).text();
  expect(formPage).toContain('value="5"');
  const response = await browser.post(`/studio/projects/${project.id}/tiers/${tier.id}`, { name: 'Gold', monthlyAmount: '7', yearlyAmount: '70' });
  expect(response.status).toBe(302);

  const prices = await priceRows(project.id);
  expect(prices.map(({ interval, amount, active }) => ({ interval, amount, active }))).toEqual([
    { interval: 'month', amount: 500, active: false },
    { interval: 'month', amount: 700, active: true },
    { interval: 'year', amount: 7000, active: true },
  ]);
  expect(prices[0]?.stripe_price_id).toBe(oldPrice?.stripe_price_id);
  const newMonthly = await stripe.prices.retrieve(prices[1]?.stripe_price_id as string);
  expect(newMonthly).toMatchObject({ unit_amount: 700, active: true, product: project.stripe_product_id, metadata: { tier_id: tier.id } });
  expect((await stripe.prices.retrieve(oldPrice?.stripe_price_id as string)).active).toBe(false);
  // The patron's pledge is untouched: it keeps its amount.
  expect(await db.selectFrom('pledges').select('amount').where('patron_id', '=', pat.id).executeTakeFirstOrThrow()).toEqual({ amount: 500 });
  const [row] = await tierRows(project.id);
  expect(row).toMatchObject({ monthly_amount: 700, yearly_amount: 7000 });
});

test('a bad edit changes nothing: not the tier, not its prices, not Stripe', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const tier = await createTestTier(project, { name: 'Gold', monthlyAmount: 500, yearlyAmount: 5000 });
  const browser = await logIn(app.url, maker);
  const [tiersBefore, pricesBefore, stripeBefore] = [await tierRows(project.id), await priceRows(project.id), await stripePriceIds()];
  const edits: Record<string, string>[] = [
    { name: 'Gold', monthlyAmount: '0' },
    { name: 'Gold', monthlyAmount: '-1' },
    { name: 'Gold', monthlyAmount: '5.001' },
    { name: 'Gold', monthlyAmount: '1e9' },
    { name: 'Gold', monthlyAmount: '10', yearlyAmount: '120' },
    { name: '', monthlyAmount: '10' },
    { name: 'Gold', monthlyAmount: '10', tierId: tier.id },
    { name: 'Gold', monthlyAmount: '10', currency: 'usd' },
  ];
  for (const edit of edits) {
    expect((await browser.post(`/studio/projects/${project.id}/tiers/${tier.id}`, edit)).status, JSON.stringify(edit)).toBe(400);
  }
  expect(await tierRows(project.id)).toEqual(tiersBefore);
  expect(await priceRows(project.id)).toEqual(pricesBefore);
  expect(await stripePriceIds()).toEqual(stripeBefore);
});

test('another maker gets 404 for every tier page and action, and nothing changes', async () => {
  const [ada, mallory] = [await createTestUser(), await createTestUser()];
  const project = await createTestProject(ada.id);
  const tier = await createTestTier(project, { name: 'Gold' });
  const malloryProject = await createTestProject(mallory.id);
  const browser = await logIn(app.url, mallory);
  const [tiersBefore, pricesBefore, stripeBefore] = [await tierRows(project.id), await priceRows(project.id), await stripePriceIds()];
  expect((await browser.get(`/studio/projects/${project.id}/tiers/${tier.id}`)).status).toBe(404);
  expect((await browser.get(`/studio/projects/${malloryProject.id}/tiers/${tier.id}`)).status).toBe(404);
  expect((await browser.post(`/studio/projects/${project.id}/tiers/${tier.id}`, { name: 'Mine', monthlyAmount: '1' })).status).toBe(404);
  expect((await browser.post(`/studio/projects/${malloryProject.id}/tiers/${tier.id}`, { name: 'Mine', monthlyAmount: '1' })).status).toBe(404);
  expect((await browser.post(`/studio/projects/${project.id}/tiers/new`, tierForm)).status).toBe(404);
  expect((await browser.post(`/studio/projects/${malloryProject.id}/edit`, { intent: 'archive', tierId: tier.id })).status).toBe(404);
  expect((await browser.post(`/studio/projects/${malloryProject.id}/edit`, { intent: 'move', tierId: tier.id, direction: 'up' })).status).toBe(404);
  expect(await tierRows(project.id)).toEqual(tiersBefore);
  expect(await priceRows(project.id)).toEqual(pricesBefore);
  expect(await stripePriceIds()).toEqual(stripeBefore);
});

test('the project page lists tiers in order with prices, savings, benefits, places left, patron count and the fee', async () => {
  const maker = await createTestUser({ displayName: 'Ada Lovelace' });
  const project = await createTestProject(maker.id, { slug: 'engine', currency: 'eur' });
  const basic = await createTestTier(project, { name: 'Basic', monthlyAmount: 300 });
  const gold = await createTestTier(project, { name: 'Gold', monthlyAmount: 500, yearlyAmount: 5000, patronLimit: 10, benefits: ['Name in README', 'Monthly call'], description: 'For the keen.' });
  const vip = await createTestTier(project, { name: 'VIP', monthlyAmount: 10_000, patronLimit: 2 });
  const patrons = await Promise.all(Array.from({ length: 5 }, () => createTestUser()));
  for (const patron of patrons.slice(0, 3)) await createTestPledge({ patronId: patron.id, tier: gold });
  await createTestPledge({ patronId: patrons[3]?.id as string, tier: vip, status: 'past_due' });
  await createTestPledge({ patronId: patrons[4]?.id as string, tier: vip, status: 'pending', checkoutExpiresAt: new Date(Date.now() + 600_000) });
  await createTestPledge({ patronId: patrons[4]?.id as string, tier: basic, status: 'ended' });

  const html = await (await new Browserish(app.url).get(`/@${maker.handle}/engine`)).text();
  const cards = tierCards(html);
  expect(cards.map((card) => card.match(/<h3[^>]*>(.*?)<\/h3>/)?.[1])).toEqual(['Basic', 'Gold', 'VIP']);
  const [basicCard, goldCard, vipCard] = cards.map(visibleText);
  expect(basicCard).toContain('€3 / month');
  expect(basicCard).not.toMatch(/left|Full/);
  expect(goldCard).toContain('€5 / month or €50 / year — save 17%');
  expect(goldCard).toContain('For the keen.');
  expect(goldCard).toContain('Name in README Monthly call');
  expect(goldCard).toContain('7 of 10 left');
  expect(vipCard).toContain('€100 / month');
  expect(vipCard).toContain('Full');
  // A full tier offers no pledge form, only a disabled button.
  expect(cards[2]).toMatch(/<button type="button" disabled="" [^>]*>Full<\/button>/);
  expect(cards[2]).not.toContain('<form');

  // Pledge forms post to the pledge route with the tier id; a yearly option only where there is one.
  const pledgeAction = `action="/@${maker.handle}/engine/pledge"`;
  expect(cards[1]).toContain(pledgeAction);
  expect(cards[1]).toContain(`<input type="hidden" name="tierId" value="${gold.id}"/>`);
  expect(cards[1]).toMatch(/<input type="radio" name="interval" checked="" value="month"\/>/);
  expect(cards[1]).toMatch(/<input type="radio" name="interval" value="year"\/>/);
  expect(cards[1]).toMatch(/<input id="amount-[^"]+" name="amount" type="text" inputMode="decimal"/);
  expect(cards[0]).toContain(`<input type="hidden" name="tierId" value="${basic.id}"/>`);
  expect(cards[0]).toContain('<input type="hidden" name="interval" value="month"/>');
  expect(cards[0]).not.toContain('type="radio"');

  const text = visibleText(html);
  expect(text).toContain('4 patrons'); // three on Gold, one past due on VIP; the pending checkout and the ended pledge do not count
  expect(text).toContain('Makerfund keeps 5% + Stripe’s fee; the rest goes to Ada Lovelace.');
});

test('archived tiers disappear from the project page and come back when unarchived; moving changes the order', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id, { slug: 'ordered' });
  const [a, b, c] = [await createTestTier(project, { name: 'Alpha' }), await createTestTier(project, { name: 'Beta' }), await createTestTier(project, { name: 'Gamma' })];
  const browser = await logIn(app.url, maker);
  const names = async () => tierCards(await (await new Browserish(app.url).get(`/@${maker.handle}/ordered`)).text()).map((card) => card.match(/<h3[^>]*>(.*?)<\/h3>/)?.[1]);
  const editPath = `/studio/projects/${project.id}/edit`;

  const archived = await browser.post(editPath, { intent: 'archive', tierId: b.id });
  expect(archived.status).toBe(302);
  expect(archived.headers.get('location')).toBe(editPath);
  expect(await names()).toEqual(['Alpha', 'Gamma']);
  // The studio still lists it, marked, with a way back.
  const studio = await (await browser.get(editPath)).text();
  expect(visibleText(studio)).toMatch(/Beta\s+Archived/);
  expect(studio).toContain('value="unarchive"');

  expect((await browser.post(editPath, { intent: 'move', tierId: c.id, direction: 'up' })).status).toBe(302);
  expect((await browser.post(editPath, { intent: 'move', tierId: c.id, direction: 'up' })).status).toBe(302);
  expect(await names()).toEqual(['Gamma', 'Alpha']);
  expect((await browser.post(editPath, { intent: 'unarchive', tierId: b.id })).status).toBe(302);
  expect(await names()).toEqual(['Gamma', 'Alpha', 'Beta']);
  expect((await browser.post(editPath, { intent: 'move', tierId: a.id, direction: 'down' })).status).toBe(302);
  expect(await names()).toEqual(['Gamma', 'Beta', 'Alpha']);

  const malformed: Record<string, string>[] = [{ intent: 'move', tierId: a.id, direction: 'left' }, { intent: 'move', tierId: 'x' }, { intent: 'archive', tierId: a.id, extra: '1' }];
  for (const body of malformed) {
    expect((await browser.post(editPath, body)).status, JSON.stringify(body)).toBe(400);
  }
  expect((await browser.post(editPath, { intent: 'archive', tierId: '00000000-0000-0000-0000-000000000000' })).status).toBe(404);
  expect(await names()).toEqual(['Gamma', 'Beta', 'Alpha']);
});

test('when Stripe is unreachable the tier form says so above the form, and nothing is stored', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const browser = await logIn(app.url, maker);
  sandbox.configure({ failureRate: 1 });
  let response: Response;
  try {
    response = await browser.post(`/studio/projects/${project.id}/tiers/new`, tierForm);
  } finally {
    sandbox.configure({ failureRate: 0 });
  }
  expect(response.status).toBe(502);
  const html = await response.text();
  expect(html).toMatch(/<div class="form-errors" id="[^"]+" role="alert"><p>We could not reach Stripe to set up the price, so nothing was saved. Please try again in a moment.<\/p><\/div>/);
  // What the maker typed is still there to submit again.
  expect(html).toContain('value="4.50"');
  expect(await tierRows(project.id)).toEqual([]);
  expect(await priceRows(project.id)).toEqual([]);
});
