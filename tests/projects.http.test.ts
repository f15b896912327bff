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

/** What a reader sees: the text without tags. */
function visibleText(html: string): string {
  return decodeEntities(html.replace(/<!-- -->/g, '').replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

async function projectsOf(makerId: string) {
  return db.selectFrom('projects').selectAll().where('maker_id', '=', makerId).orderBy('created_at').execute();
}

async function productCount(): Promise<number> {
  return (await stripe.products.list({ limit: 100 })).data.length;
}

const form = { name: 'Tiny HTTP', slug: 'tiny-http', pitch: 'A small, fast HTTP server with zero dependencies.', description: '# Why\n\nBecause **small** matters.', repositoryUrl: 'https://github.com/ada/tiny-http', currency: 'eur' };

test('the studio needs a login, and greets a new maker with a way to create their first project', async () => {
  const anonymous = await new Browserish(app.url).get('/studio');
  expect(anonymous.status).toBe(302);
  expect(anonymous.headers.get('location')).toBe('/login?redirectTo=%2Fstudio');
  expect((await new Browserish(app.url).get('/studio/projects/new')).status).toBe(302);

  const browser = await logIn(app.url, await createTestUser());
  const html = await (await browser.get('/studio')).text();
  expect(html).toContain('Create your first project');
  expect(html).toContain('href="/studio/projects/new"');
  // The header links to the studio for anyone logged in.
  expect(html).toMatch(/<a[^>]*href="\/studio"[^>]*>Studio<\/a>/);
});

test('creating a project stores it, creates its Stripe product and shows it in the studio and on the maker page', async () => {
  const maker = await createTestUser({ displayName: 'Ada Lovelace' });
  const browser = await logIn(app.url, maker);
  const formPage = await (await browser.get('/studio/projects/new')).text();
  expect(formPage).toContain('<option value="eur">EUR — Euro</option>');
  expect(formPage).toContain('<option value="jpy">JPY — Japanese Yen</option>');
  const response = await browser.post('/studio/projects/new', { ...form, slug: 'Tiny-HTTP' });
  expect(response.status).toBe(302);
  const [project] = await projectsOf(maker.id);
  expect(response.headers.get('location')).toBe(`/studio/projects/${project?.id}/edit?created=1`);
  expect(project).toMatchObject({
    slug: 'tiny-http',
    name: 'Tiny HTTP',
    pitch: form.pitch,
    description_md: form.description,
    repository_url: form.repositoryUrl,
    currency: 'eur',
  });
  const product = await stripe.products.retrieve(project?.stripe_product_id as string);
  expect(product).toMatchObject({ name: 'Tiny HTTP', metadata: { project_id: project?.id } });

  const edit = await (await browser.get(response.headers.get('location') as string)).text();
  expect(edit).toContain('Add a tier so patrons can back it.');
  expect(edit).toContain('Create your first tier');

  const studio = await (await browser.get('/studio')).text();
  expect(studio).toContain(`href="/@${maker.handle}/tiny-http"`);
  expect(studio).toContain(`href="/studio/projects/${project?.id}/edit"`);
  expect(studio).toContain(`href="/studio/projects/${project?.id}"`);
  expect(visibleText(studio)).toContain('0 patrons');

  const makerPage = await (await new Browserish(app.url).get(`/@${maker.handle}`)).text();
  expect(makerPage).toMatch(new RegExp(`<a [^>]*href="/@${maker.handle}/tiny-http">Tiny HTTP</a>`));
  expect(makerPage).toContain(form.pitch);
  expect(makerPage).not.toContain('New project');
  expect(await (await browser.get(`/@${maker.handle}`)).text()).toContain('New project');
});

test('a maker can run several projects; a slug is unique per maker but another maker may use it', async () => {
  const [ada, grace] = [await createTestUser(), await createTestUser()];
  const adaBrowser = await logIn(app.url, ada);
  expect((await adaBrowser.post('/studio/projects/new', form)).status).toBe(302);
  expect((await adaBrowser.post('/studio/projects/new', { ...form, name: 'Second', slug: 'second' })).status).toBe(302);
  const products = await productCount();
  const duplicate = await adaBrowser.post('/studio/projects/new', { ...form, name: 'Other name' });
  expect(duplicate.status).toBe(400);
  expect(fieldMessages(await duplicate.text(), 'slug')).toEqual(['You already have a project at this address; pick another']);
  expect((await projectsOf(ada.id)).map((project) => project.name)).toEqual(['Tiny HTTP', 'Second']);
  expect(await productCount()).toBe(products);

  expect((await (await logIn(app.url, grace)).post('/studio/projects/new', form)).status).toBe(302);
  expect((await projectsOf(grace.id)).map((project) => project.slug)).toEqual(['tiny-http']);
});

test('bad project input is refused with 400 next to the field; nothing is stored and no Stripe product is made', async () => {
  const maker = await createTestUser();
  const browser = await logIn(app.url, maker);
  const products = await productCount();
  const cases: [Record<string, string>, string, string][] = [
    [{ currency: 'xxx' }, 'currency', 'Choose one of the listed currencies'],
    [{ currency: 'USD' }, 'currency', 'Choose one of the listed currencies'],
    [{ pitch: 'x'.repeat(141) }, 'pitch', 'A pitch has at most 140 characters'],
    [{ description: 'x'.repeat(20_001) }, 'description', 'A description has at most 20,000 characters'],
    [{ repositoryUrl: 'javascript:alert(1)' }, 'repositoryUrl', 'Only http:// and https:// links are allowed'],
    [{ slug: 'no spaces' }, 'slug', 'Use lowercase letters, digits and dashes, not at the start or end'],
    [{ slug: '' }, 'slug', 'Choose the last part of the project’s address'],
    [{ name: '' }, 'name', 'Name your project'],
  ];
  for (const [change, field, message] of cases) {
    const response = await browser.post('/studio/projects/new', { ...form, ...change });
    expect(response.status, JSON.stringify(change)).toBe(400);
    expect(fieldMessages(await response.text(), field), JSON.stringify(change)).toEqual([message]);
  }
  for (const key of ['makerId', 'stripeProductId', 'id']) {
    const response = await browser.post('/studio/projects/new', { ...form, [key]: 'x' });
    expect(response.status, key).toBe(400);
  }
  expect(await projectsOf(maker.id)).toEqual([]);
  expect(await productCount()).toBe(products);
});

test('another user cannot see or change a project’s edit page: 404, and nothing changes', async () => {
  const [ada, mallory] = [await createTestUser(), await createTestUser()];
  const project = await createTestProject(ada.id, { name: 'Mine', slug: 'mine' });
  const tier = await createTestTier(project, { name: 'Gold' });
  const browser = await logIn(app.url, mallory);
  const paths = [
    `/studio/projects/${project.id}/edit`,
    `/studio/projects/${project.id}/tiers/new`,
    `/studio/projects/${project.id}/tiers/${tier.id}`,
    '/studio/projects/00000000-0000-0000-0000-000000000000/edit',
    '/studio/projects/not-a-uuid/edit',
  ];
  for (const path of paths) {
    const response = await browser.get(path);
    expect(response.status, path).toBe(404);
    expect(await response.text(), path).not.toContain('Mine');
  }
  const before = await projectsOf(ada.id);
  const attempts: [string, Record<string, string>][] = [
    [`/studio/projects/${project.id}/edit`, { intent: 'save', name: 'Hacked', slug: 'hacked', pitch: 'x' }],
    [`/studio/projects/${project.id}/edit`, { intent: 'archive', tierId: tier.id }],
    [`/studio/projects/${project.id}/edit`, { intent: 'move', tierId: tier.id, direction: 'down' }],
  ];
  for (const [path, body] of attempts) expect((await browser.post(path, body)).status, JSON.stringify(body)).toBe(404);
  expect(await projectsOf(ada.id)).toEqual(before);
  expect((await db.selectFrom('tiers').select('archived_at').where('id', '=', tier.id).executeTakeFirstOrThrow()).archived_at).toBeNull();
});

test('the maker edits the project; the currency cannot be changed; the Stripe product follows the name', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id, { name: 'Old name', slug: 'old' });
  const browser = await logIn(app.url, maker);
  const edit = { intent: 'save', name: 'New name', slug: 'new-name', pitch: 'Better pitch', description: 'More', repositoryUrl: '' };
  const response = await browser.post(`/studio/projects/${project.id}/edit`, edit);
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('Saved.');
  const [row] = await projectsOf(maker.id);
  expect(row).toMatchObject({ name: 'New name', slug: 'new-name', pitch: 'Better pitch', description_md: 'More', repository_url: null, currency: 'eur' });
  expect((await stripe.products.retrieve(project.stripe_product_id as string)).name).toBe('New name');

  const sneaky = await browser.post(`/studio/projects/${project.id}/edit`, { ...edit, currency: 'usd' });
  expect(sneaky.status).toBe(400);
  const unknownIntent = await browser.post(`/studio/projects/${project.id}/edit`, { ...edit, intent: 'delete' });
  expect(unknownIntent.status).toBe(400);
  expect((await projectsOf(maker.id))[0]?.currency).toBe('eur');

  const invalid = await browser.post(`/studio/projects/${project.id}/edit`, { ...edit, pitch: 'x'.repeat(141) });
  expect(invalid.status).toBe(400);
  expect(fieldMessages(await invalid.text(), 'pitch')).toEqual(['A pitch has at most 140 characters']);
  expect((await projectsOf(maker.id))[0]?.pitch).toBe('Better pitch');
});

test('the project page shows the pitch, the rendered description without anything executable, and the repository', async () => {
  const maker = await createTestUser({ displayName: 'Ada Lovelace' });
  await createTestProject(maker.id, {
    name: 'Engine',
    slug: 'engine',
    pitch: 'Computing machinery.',
    description: [
      '# Notes',
      '',
      'It **weaves** patterns. [Docs](https://docs.example/engine)',
      '',
      '<script>alert("xss")</script>',
      '<img src=x onerror="alert(1)">',
      '[click](javascript:alert(1))',
      '<iframe src="https://evil.example"></iframe>',
    ].join('\n'),
    repositoryUrl: 'https://github.com/ada/engine',
  });
  const response = await new Browserish(app.url).get(`/@${maker.handle}/engine`);
  expect(response.status).toBe(200);
  const html = await response.text();
  expect(html).toContain('<h1>Engine</h1>');
  expect(html).toContain('Computing machinery.');
  expect(html).toContain('<h2>Notes</h2>');
  expect(html).toContain('<strong>weaves</strong>');
  expect(html).toContain('<a href="https://docs.example/engine" rel="nofollow ugc noopener noreferrer">Docs</a>');
  expect(html).toContain('<a href="https://github.com/ada/engine" rel="nofollow ugc noopener noreferrer">Source code</a>');
  const description = html.slice(html.indexOf('<div class="markdown">'), html.indexOf('</div>', html.indexOf('<div class="markdown">')));
  // Raw HTML shows as text; the markup itself has nothing executable.
  const markup = (description.match(/<[^>]*>/g) ?? []).join('');
  expect(markup).not.toMatch(/<script|<img|<iframe|onerror|javascript:/i);
  expect(description).toContain('<p>&lt;script&gt;alert("xss")&lt;/script&gt;</p>');
  expect(html).toContain('<title>Engine by Ada Lovelace · Makerfund</title>');
  // No tiers yet: the page says so instead of an empty list.
  expect(visibleText(html)).toContain('Ada Lovelace has not opened any tiers yet.');
});

test('project addresses: any letter case redirects to the canonical one; unknown ones are 404', async () => {
  const maker = await createTestUser();
  await createTestProject(maker.id, { slug: 'cased' });
  const redirect = await new Browserish(app.url).get(`/@${maker.handle.toUpperCase()}/CASED?pledge=x`);
  expect(redirect.status).toBe(301);
  expect(redirect.headers.get('location')).toBe(`/@${maker.handle}/cased?pledge=x`);
  for (const path of [`/@${maker.handle}/nope`, `/@nobody-at-all/cased`, `/${maker.handle}/cased`]) {
    expect((await new Browserish(app.url).get(path)).status, path).toBe(404);
  }
});

test('the pledge confirmation banner shows for the patron’s own pledge only', async () => {
  const maker = await createTestUser();
  const project = await createTestProject(maker.id, { slug: 'confirm' });
  const tier = await createTestTier(project, { name: 'Gold' });
  const [pat, other] = [await createTestUser(), await createTestUser()];
  const pledge = await createTestPledge({ patronId: pat.id, tier, status: 'pending', checkoutExpiresAt: new Date(Date.now() + 600_000) });
  const path = `/@${maker.handle}/confirm?pledge=${pledge.id}`;
  const own = visibleText(await (await (await logIn(app.url, pat)).get(path)).text());
  expect(own).toContain('Confirming your pledge of €5/month (Gold) with Stripe');
  const others = visibleText(await (await (await logIn(app.url, other)).get(path)).text());
  expect(others).not.toContain('Confirming your pledge');
  const anonymous = visibleText(await (await new Browserish(app.url).get(path)).text());
  expect(anonymous).not.toContain('Confirming your pledge');
  expect((await new Browserish(app.url).get(`/@${maker.handle}/confirm?pledge=not-a-uuid`)).status).toBe(200);
});
