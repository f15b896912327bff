import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, onTestFailed, test } from 'vitest';
import { repoRoot } from '../../scripts/lib/cli.ts';
import { launchBrowser, startProductionServer, type RunningServer } from './harness.ts';

/**
 * Issue 4 as people see it, in Chromium against the production build with its own Stripe
 * sandbox: a maker opens a project with two tiers, a patron pays the first one through hosted
 * Checkout, waits for Stripe's confirmation, and the maker sees the patron and the money — fees
 * and all — on the studio dashboard and in the CSV export.
 */

const ARTIFACTS = path.join(repoRoot, 'tests/e2e/artifacts');
const MAKER = { email: 'noor@example.test', displayName: 'Noor Haddad', handle: 'noor', password: 'a sturdy maker passphrase' };
const PATRON = { email: 'pat@example.test', displayName: 'Pat Ron', handle: 'pat-ron', password: 'a sturdy patron passphrase' };
const PROJECT = { name: 'Tiny Parse', slug: 'tiny-parse', pitch: 'A parser combinator library small enough to read in an afternoon.' };
const PROJECT_PATH = `/@${MAKER.handle}/${PROJECT.slug}`;

let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Page errors and console errors of every page, with the page's URL. */
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startProductionServer(), launchBrowser()]);
});
afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await server?.stop();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(20_000);
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    // A 400 answer to a refused form is expected; anything else logged as an error is a bug.
    if (message.type() === 'error' && !message.text().includes('status of 400')) problems.push(`${page.url()}: ${message.text()}`);
  });
  return page;
}

async function signUp(page: Page, who: typeof MAKER): Promise<void> {
  await page.goto('/');
  await page.getByRole('banner').getByRole('link', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Display name').fill(who.displayName);
  await page.getByLabel('Handle').fill(who.handle);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/settings/profile?welcome=1');
  await expect.poll(() => page.getByRole('banner').textContent()).toContain(`Signed in as ${who.displayName}`);
}

async function addTier(page: Page, tier: { name: string; monthly: string; yearly?: string; benefits?: string; limit?: string }): Promise<void> {
  await page.getByRole('link', { name: 'Add a tier' }).click();
  await page.waitForURL('**/tiers/new');
  await page.getByLabel('Tier name').fill(tier.name);
  await page.getByLabel('Monthly price').fill(tier.monthly);
  if (tier.yearly) await page.getByLabel('Yearly price (optional)').fill(tier.yearly);
  if (tier.benefits) await page.getByLabel('Benefits (optional)').fill(tier.benefits);
  if (tier.limit) await page.getByLabel('Patron limit (optional)').fill(tier.limit);
  await page.getByRole('button', { name: 'Create tier' }).click();
  await page.waitForURL((url) => url.pathname.endsWith('/edit') && url.searchParams.has('tier'));
  await expect.poll(() => page.getByRole('status').textContent()).toContain('Tier saved.');
}

/** Cell texts of a table row, whitespace collapsed. */
async function cells(row: Locator): Promise<string[]> {
  return (await row.locator('th, td').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
}

/**
 * Some facts arrive after the page that shows them (Stripe's fee comes with the charge's
 * balance transaction): reload until `check` passes, bounded, then let it throw.
 */
async function reloadUntil(page: Page, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.reload();
  }
}

const thisMonth = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date());

test('a maker opens a project with two tiers, a patron pays through Checkout, and the maker sees the patron and the money', async () => {
  // What the server (and its worker) and the sandbox said, to tell a slow webhook from a failing job.
  onTestFailed(() => console.error(`Browser errors so far: ${JSON.stringify(problems, null, 2)}\nServer output:\n${server.output().slice(-20_000)}`));

  // 1. The maker: account, project and two tiers, all through the UI.
  const maker = await newPage();
  await signUp(maker, MAKER);
  await maker.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Studio' }).click();
  await maker.waitForURL('**/studio');
  await maker.getByRole('link', { name: 'Create your first project' }).click();
  await maker.waitForURL('**/studio/projects/new');
  await maker.getByLabel('Project name').fill(PROJECT.name);
  await maker.getByLabel('Address').fill(PROJECT.slug);
  await maker.getByLabel('Pitch').fill(PROJECT.pitch);
  await maker.getByLabel('Description', { exact: true }).fill('## What it is\n\nParsers for config files and tiny languages.\n\n- zero dependencies\n- 600 lines');
  await maker.getByLabel('Repository link').fill('https://github.com/noor/tiny-parse');
  await maker.getByLabel('Currency').selectOption('eur');
  await maker.getByRole('button', { name: 'Create project' }).click();
  await maker.waitForURL((url) => /^\/studio\/projects\/[0-9a-f-]{36}\/edit$/.test(url.pathname) && url.searchParams.has('created'));
  const projectId = new URL(maker.url()).pathname.split('/')[3] as string;
  await expect.poll(() => maker.getByRole('status').textContent()).toContain(`Your project is live at ${PROJECT_PATH}`);

  await addTier(maker, { name: 'Supporter', monthly: '5', benefits: 'Your name in the README' });
  await addTier(maker, { name: 'Sponsor', monthly: '20', yearly: '200', benefits: 'Your logo in the README\nA monthly call', limit: '3' });
  const adminTiers = maker.getByRole('region', { name: 'Tiers' }).getByRole('listitem');
  expect(await adminTiers.allInnerTexts()).toEqual([expect.stringContaining('Supporter'), expect.stringContaining('Sponsor')]);

  await maker.goto(PROJECT_PATH);
  expect(await maker.getByRole('heading', { level: 1 }).textContent()).toBe(PROJECT.name);
  const makerTiers = maker.getByRole('region', { name: 'Become a patron' });
  expect(await makerTiers.getByRole('heading', { level: 3 }).allTextContents()).toEqual(['Supporter', 'Sponsor']);
  const sponsorCard = makerTiers.getByRole('listitem').filter({ has: maker.getByRole('heading', { level: 3, name: 'Sponsor' }) });
  expect(await sponsorCard.getByText('3 of 3 left').isVisible()).toBe(true);
  expect((await sponsorCard.locator('.tier-price').innerText()).replace(/\s+/g, ' ')).toBe('€20 / month or €200 / year — save 17%');

  // 2. The patron: account, the €5 tier, hosted Checkout, back to the project page.
  const patron = await newPage();
  await signUp(patron, PATRON);
  await patron.goto(PROJECT_PATH);
  const tiers = patron.getByRole('region', { name: 'Become a patron' });
  expect(await tiers.getByRole('heading', { level: 3 }).allTextContents()).toEqual(['Supporter', 'Sponsor']);
  expect(await tiers.getByText('3 of 3 left').isVisible()).toBe(true);
  const supporterCard = tiers.getByRole('listitem').filter({ has: patron.getByRole('heading', { level: 3, name: 'Supporter' }) });
  expect((await supporterCard.locator('.tier-price').innerText()).trim()).toBe('€5 / month');
  await supporterCard.getByRole('button', { name: 'Become a patron' }).click();

  await patron.waitForURL((url) => url.href.startsWith(`${server.sandbox.url}/checkout/`));
  expect(await patron.getByRole('heading', { level: 1 }).textContent()).toMatch(/^Subscribe to /);
  expect(await patron.locator('.amount').innerText()).toMatch(/^€5\.00/);
  const email = patron.getByLabel('Email');
  if ((await email.count()) > 0 && (await email.isEditable())) await email.fill(PATRON.email);
  else if ((await email.count()) > 0) expect(await email.inputValue()).toBe(PATRON.email);
  await patron.getByLabel('Card number').fill('4242 4242 4242 4242');
  await patron.getByLabel('Expiry (MM / YY)').fill('12 / 34');
  await patron.getByLabel('CVC').fill('123');
  await patron.getByLabel('Name on card').fill(PATRON.displayName);

  // Stripe's webhooks are held back until the page has been seen waiting for them.
  server.sandbox.configure({ webhookDelayMs: 600_000 });
  try {
    await patron.getByRole('button', { name: 'Subscribe' }).click();
    await patron.waitForURL((url) => url.origin === server.url && url.pathname === PROJECT_PATH && url.searchParams.has('pledge'));
    const banner = patron.getByRole('status').filter({ hasText: /Confirming your pledge|You're a patron/ });
    expect(await banner.textContent()).toContain('Confirming your pledge of €5/month (Supporter) with Stripe… This usually takes a few seconds.');
    expect(await banner.getAttribute('aria-busy')).toBe('true');
  } finally {
    server.sandbox.configure({ webhookDelayMs: 0 });
    await server.sandbox.flushWebhooks();
  }
  // The banner asks the server again by itself (no reload) until the webhook pipeline made the pledge active.
  const banner = patron.getByRole('status').filter({ hasText: /Confirming your pledge|You're a patron/ });
  await expect.poll(() => banner.textContent(), { timeout: 25_000, interval: 250 }).toContain(`You're a patron of ${PROJECT.name} at €5/month — thank you!`);
  expect(await banner.textContent()).toContain('Supporter tier');
  await patron.screenshot({ path: path.join(ARTIFACTS, 'project-page-patron.png'), fullPage: true });
  expect(await tiers.getByText('3 of 3 left').isVisible()).toBe(true);
  expect((await patron.locator('.project-meta').innerText()).replace(/\s+/g, ' ')).toMatch(/^1 patron\b/);

  await banner.getByRole('link', { name: 'Manage your pledges' }).click();
  await patron.waitForURL('**/patron');
  await patron.getByRole('heading', { level: 1, name: 'Your pledges' }).waitFor();
  const pledgeCard = patron.getByRole('list', { name: 'Pledges' }).getByRole('listitem');
  expect(await pledgeCard.count()).toBe(1);
  expect(await pledgeCard.getByRole('heading', { level: 2 }).innerText()).toBe(`${PROJECT.name} by ${MAKER.displayName}`);
  expect(await pledgeCard.locator('.pledge-status').innerText()).toBe('Active');
  const facts = pledgeCard.locator('.pledge-facts');
  expect(await facts.locator('dt').allTextContents()).toEqual(['Tier', 'Amount', 'Next charge']);
  expect(await facts.locator('dd').allTextContents()).toEqual(['Supporter', '€5/month', expect.stringMatching(/^\d{1,2} \w+ \d{4}$/)]);
  const receipts = patron.getByRole('table', { name: `Receipts for ${PROJECT.name}` });
  // Stripe's fee arrives with the charge's balance transaction, possibly after the pledge is active.
  await reloadUntil(patron, async () => (await receipts.count()) > 0 && (await cells(receipts.locator('tbody tr').first()))[3] === '€0.45');
  const receiptRows = receipts.locator('tbody tr');
  expect(await receiptRows.count()).toBe(1);
  const receipt = await cells(receiptRows.first());
  expect(receipt.slice(1)).toEqual([expect.stringMatching(/^First payment \d{1,2} \w+ \d{4} – \d{1,2} \w+ \d{4}$/), '€5', '€0.45', '€0.25', '€4.30', 'Invoice']);

  // 3. The maker's dashboard: the patron, the recurring revenue, this month's money.
  await maker.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Studio' }).click();
  await maker.waitForURL('**/studio');
  const projectItem = maker.getByRole('listitem').filter({ has: maker.getByRole('heading', { level: 2, name: PROJECT.name }) });
  expect((await projectItem.locator('.project-stats').innerText()).replace(/\s+/g, ' ')).toMatch(/^1 patron\b/);
  await projectItem.getByRole('link', { name: 'Dashboard' }).click();
  await maker.waitForURL(`**/studio/projects/${projectId}`);
  await maker.getByRole('heading', { level: 1, name: PROJECT.name }).waitFor();

  const income = maker.getByRole('table', { name: "Where each month's money went" });
  await reloadUntil(maker, async () => (await income.count()) > 0 && (await income.locator('tbody tr', { hasText: thisMonth }).innerText()).includes('€4.30'));
  const patrons = maker.locator('table#patrons');
  expect(await cells(patrons.locator('tbody tr'))).toEqual([
    `${PATRON.displayName} @${PATRON.handle}`,
    'Supporter',
    '€5/month',
    'Active',
    expect.stringMatching(/^\d{1,2} \w+ \d{4}$/),
    expect.stringMatching(/^\d{1,2} \w+ \d{4}$/),
  ]);
  expect(await maker.locator('[data-stat="mrr"] dt').innerText()).toBe('Monthly recurring revenue');
  expect(await maker.locator('[data-stat="mrr"] .stat-value').innerText()).toBe('€5');
  expect(await maker.locator('[data-stat="patrons"] .stat-value').innerText()).toBe('1');
  expect(await income.locator('thead th').allTextContents()).toEqual(['Month', 'Payments', 'Gross', 'Stripe fee', 'Platform fee', 'Net to you']);
  expect(await cells(income.locator('tbody tr', { hasText: thisMonth }))).toEqual([thisMonth, '1', '€5', '€0.45', '€0.25', '€4.30']);
  expect(await cells(income.locator('tfoot tr'))).toEqual(['12 months', '1', '€5', '€0.45', '€0.25', '€4.30']);
  // The chart (recharts SVG) is drawn, and its summary says the same.
  expect(await maker.getByText('Over the last 12 months: €5 gross, €4.30 net to you after fees.').isVisible()).toBe(true);
  expect(await maker.locator('svg.recharts-surface').count()).toBeGreaterThan(0);
  expect(await maker.getByText('Your only patron gives 100% of monthly income').isVisible()).toBe(true);
  await maker.screenshot({ path: path.join(ARTIFACTS, 'studio-dashboard.png'), fullPage: true });

  const [download] = await Promise.all([maker.waitForEvent('download'), maker.getByRole('link', { name: 'Download all patrons (CSV)' }).click()]);
  expect(download.suggestedFilename()).toBe(`${PROJECT.slug}-patrons.csv`);
  const csv = readFileSync(await download.path(), 'utf8').split('\r\n');
  expect(csv[0]).toBe('handle,display_name,tier,status,amount_minor,currency,interval,since,next_charge');
  expect(csv[1]).toMatch(new RegExp(`^${PATRON.handle},${PATRON.displayName},Supporter,active,500,EUR,month,\\d{4}-\\d{2}-\\d{2}T[^,]+,\\d{4}-\\d{2}-\\d{2}T[^,]+$`));
  expect(csv.slice(2)).toEqual(['']);

  // The maker's own view of the project page, now with a patron.
  await maker.goto(PROJECT_PATH);
  await maker.screenshot({ path: path.join(ARTIFACTS, 'project-page-maker.png'), fullPage: true });

  expect(problems).toEqual([]);
}, 90_000);
