import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fillCardForm, launchBrowser, submitPayment } from '#tests/stripe-conformance/browser.ts';
import { startStripeStory, type StripeStory } from '#tests/stripe.ts';

/**
 * The pledge journey as a person clicks it, in Chromium: a tier card on the project page, Stripe
 * Checkout, back to the project page where the banner waits for Stripe's confirmation (polling),
 * then the patron page and a cancellation.
 */

let story: StripeStory;
let browser: Browser;
beforeAll(async () => {
  story = await startStripeStory();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await story?.close();
});

async function loggedInPage(email: string, password: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: story.appUrl });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: /log in/i }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return page;
}

test('a patron clicks "Become a patron", pays in Checkout, and sees the pledge confirmed, listed and cancellable', async () => {
  const maker = await story.maker();
  const { project } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500, benefits: ['Name in the README'] }]);
  const pat = await story.patron();
  const page = await loggedInPage(pat.email, pat.password);

  await page.goto(project.url);
  await page.getByRole('button', { name: 'Become a patron' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/checkout/'));
  await fillCardForm(page, { number: '4242424242424242', name: 'Pat Ron' });
  // Stripe's webhooks take a moment: the page must wait for them, then update by itself.
  story.sandbox.configure({ webhookDelayMs: 2500 });
  try {
    await submitPayment(page);
    await page.waitForURL((url) => url.pathname === project.url && url.searchParams.has('pledge'));
    const banner = page.getByRole('status').filter({ hasText: /patron|Confirming/ });
    expect(await banner.first().textContent()).toContain('Confirming your pledge of €5/month (Supporter) with Stripe');
    // The banner says "confirmed" only once the webhook pipeline has made the pledge active.
    await expect.poll(() => banner.first().textContent(), { timeout: 20_000 }).toContain(`You're a patron of ${project.name} at €5/month — thank you!`);
  } finally {
    story.sandbox.configure({ webhookDelayMs: 0 });
  }
  const pledge = await story.db.selectFrom('pledges').select(['id', 'status']).where('patron_id', '=', pat.id).executeTakeFirstOrThrow();
  expect(pledge.status).toBe('active');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pledges', exact: true }).click();
  await page.waitForURL('**/patron');
  await expect.poll(() => page.getByRole('heading', { name: new RegExp(project.name) }).count()).toBe(1);
  expect(await page.getByText('Active', { exact: true }).count()).toBe(1);
  expect(await page.getByRole('table', { name: `Receipts for ${project.name}` }).getByRole('row').count()).toBe(2);

  // "Update your card" opens Stripe's customer portal for this patron's customer.
  await page.getByRole('button', { name: 'Payment methods and invoices' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/portal/'));
  await page.goBack();
  await page.waitForURL('**/patron');

  await page.getByRole('link', { name: 'Manage pledge' }).click();
  await page.getByRole('button', { name: 'Cancel at period end' }).click();
  await expect.poll(() => page.getByRole('status').first().textContent()).toMatch(/Your pledge ends on .+ You keep your benefits until then\./);
  await page.getByRole('button', { name: 'Keep my pledge' }).click();
  await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Your pledge continues.');
  await page.context().close();
}, 60_000);
