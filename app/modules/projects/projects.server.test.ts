import Stripe from 'stripe';
import { afterAll, expect, test } from 'vitest';
import { startStripeSandbox } from '#scripts/stripe-sandbox/index.ts';

// Configuration is read when app modules first load: point Stripe at a fresh sandbox before that.
const sandbox = await startStripeSandbox({ port: 0, dataDir: null, log: () => {} });
process.env.STRIPE_SECRET_KEY = 'sk_test_x';
process.env.STRIPE_API_BASE = sandbox.url;
process.env.STRIPE_WEBHOOK_SECRETS = 'whsec_test';
const { db } = await import('#app/core/db.server.ts');
const { createProject, ensureStripeProduct, getProjectForMaker, getPublicProject, listProjectsForMaker, updateProject } = await import('./projects.server.ts');
const { createTestUser } = await import('#tests/factories.ts');
const { createTestPledge, createTestProject, createTestTier } = await import('#tests/factories/projects.ts');
const stripe = new Stripe('sk_test_x', sandbox.stripeConfig);

afterAll(() => sandbox.close());

const input = { name: 'Tiny HTTP', slug: 'tiny-http', pitch: 'A small server.', description: 'Hello', repositoryUrl: 'https://github.com/ada/tiny-http', currency: 'eur' as const };

test('creating a project stores it and creates its Stripe product, tagged with the project id', async () => {
  const maker = await createTestUser();
  const project = await createProject(db, maker.id, input);
  if ('field' in project) throw new Error(project.message);
  expect(project).toMatchObject({ maker_id: maker.id, slug: 'tiny-http', name: 'Tiny HTTP', currency: 'eur', description_md: 'Hello' });
  expect(project.stripe_product_id).toMatch(/^prod_/);
  const row = await db.selectFrom('projects').select('stripe_product_id').where('id', '=', project.id).executeTakeFirstOrThrow();
  expect(row.stripe_product_id).toBe(project.stripe_product_id);
  const product = await stripe.products.retrieve(project.stripe_product_id as string);
  expect(product).toMatchObject({ name: 'Tiny HTTP', active: true, metadata: { project_id: project.id } });
});

test('the Stripe product is created once: a retry reuses the same product', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id);
  const again = await ensureStripeProduct(db, { ...project, stripe_product_id: null });
  expect(again).toBe(project.stripe_product_id);
  const products = await stripe.products.search({ query: `metadata['project_id']:'${project.id}'` });
  expect(products.data.map((product) => product.id)).toEqual([project.stripe_product_id]);
});

test('a slug is unique per maker, and two makers may use the same one', async () => {
  const [ada, grace] = [await createTestUser(), await createTestUser()];
  expect('id' in (await createProject(db, ada.id, input))).toBe(true);
  expect(await createProject(db, ada.id, { ...input, name: 'Other' })).toEqual({ field: 'slug', message: 'You already have a project at this address; pick another' });
  expect('id' in (await createProject(db, grace.id, input))).toBe(true);
  expect(await db.selectFrom('projects').select('name').where('maker_id', '=', ada.id).execute()).toEqual([{ name: 'Tiny HTTP' }]);
});

test('only the maker finds their project for editing; an update by anyone else changes nothing', async () => {
  const [ada, grace] = [await createTestUser(), await createTestUser()];
  const project = await createTestProject(ada.id, { name: 'Mine' });
  expect(await getProjectForMaker(db, { projectId: project.id, makerId: grace.id })).toBeNull();
  expect(await getProjectForMaker(db, { projectId: 'not-a-uuid', makerId: ada.id })).toBeNull();
  expect((await getProjectForMaker(db, { projectId: project.id, makerId: ada.id }))?.name).toBe('Mine');
  const edit = { name: 'Stolen', slug: 'stolen', pitch: 'x', description: '', repositoryUrl: null };
  expect(await updateProject(db, { projectId: project.id, makerId: grace.id }, edit)).toBeNull();
  expect((await getProjectForMaker(db, { projectId: project.id, makerId: ada.id }))?.name).toBe('Mine');
});

test('renaming a project renames its Stripe product; a slug taken by another of the maker’s projects is refused', async () => {
  const ada = await createTestUser();
  const first = await createTestProject(ada.id, { slug: 'first' });
  await createTestProject(ada.id, { slug: 'second' });
  const ref = { projectId: first.id, makerId: ada.id };
  expect(await updateProject(db, ref, { name: 'Renamed', slug: 'second', pitch: 'p', description: '', repositoryUrl: null })).toEqual({
    field: 'slug',
    message: 'You already have a project at this address; pick another',
  });
  const updated = await updateProject(db, ref, { name: 'Renamed', slug: 'first-renamed', pitch: 'p', description: 'd', repositoryUrl: null });
  expect(updated).toMatchObject({ name: 'Renamed', slug: 'first-renamed', description_md: 'd' });
  expect((await stripe.products.retrieve(first.stripe_product_id as string)).name).toBe('Renamed');
});

test('project lists count live patrons (active and past due, each person once) and tiers on offer', async () => {
  const ada = await createTestUser();
  const [pat, sam, kim] = [await createTestUser(), await createTestUser(), await createTestUser()];
  const project = await createTestProject(ada.id, { slug: 'counted' });
  const [gold, silver, old] = [await createTestTier(project), await createTestTier(project), await createTestTier(project)];
  await db.updateTable('tiers').set({ archived_at: new Date() }).where('id', '=', old.id).execute();
  await createTestPledge({ patronId: pat.id, tier: gold });
  await createTestPledge({ patronId: pat.id, tier: silver }); // the same person twice
  await createTestPledge({ patronId: sam.id, tier: silver, status: 'past_due' });
  await createTestPledge({ patronId: kim.id, tier: gold, status: 'ended' });
  await createTestPledge({ patronId: kim.id, tier: old, status: 'pending', checkoutExpiresAt: new Date(Date.now() + 60_000) });
  const [summary] = await listProjectsForMaker(db, ada.id);
  expect(summary).toMatchObject({ slug: 'counted', patronCount: 2, tierCount: 2 });
});

test('the public project is found by handle and slug in any letter case', async () => {
  const ada = await createTestUser();
  const project = await createTestProject(ada.id, { slug: 'public-one' });
  const found = await getPublicProject(db, ada.handle.toUpperCase(), 'PUBLIC-ONE');
  expect(found).toMatchObject({ id: project.id, maker: { id: ada.id, handle: ada.handle, displayName: ada.displayName } });
  expect(await getPublicProject(db, 'nobody-here', 'public-one')).toBeNull();
});
