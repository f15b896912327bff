// The hosted pages a person uses, in headless Chromium: Checkout and the customer portal.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { CARDS, customerWithCard, oneTimePrice, realStripe, recurringPrice, uid, useStripe, waitFor } from './harness.ts';
import { fillCardForm, launchBrowser, startReturnSite, submitPayment } from './browser.ts';

const ctx = useStripe();
let browser: Browser;
let site: Awaited<ReturnType<typeof startReturnSite>>;

beforeAll(async () => {
  browser = await launchBrowser();
  site = await startReturnSite();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(realStripe ? 60_000 : 10_000);
  return page;
}

test('subscription Checkout with 4242…: redirected to success_url, subscription active, checkout.session.completed', async () => {
  const price = await recurringPrice(ctx.stripe, 500, 'month', 'Supporter');
  const customer = await ctx.stripe.customers.create({ email: `${uid('hp')}@example.com`, name: 'Pat Ron' });
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: `${site.url}/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${site.url}/cancel`,
    metadata: { pledge_id: 'pledge_hp1' },
    subscription_data: { metadata: { pledge_id: 'pledge_hp1' } },
  });
  const page = await newPage();
  await page.goto(session.url!);
  await fillCardForm(page, { number: CARDS.visa.number, name: 'Pat Ron' });
  await submitPayment(page);
  await page.waitForURL((u) => u.href.startsWith(`${site.url}/success`));
  expect(new URL(page.url()).searchParams.get('session_id')).toBe(session.id);
  await page.context().close();

  const completed = await ctx.webhooks.waitForEvent('checkout.session.completed', (e) => (e.data.object as Stripe.Checkout.Session).id === session.id);
  const done = completed.data.object as Stripe.Checkout.Session;
  expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', mode: 'subscription', customer: customer.id, metadata: { pledge_id: 'pledge_hp1' } });
  expect(done.subscription).toMatch(/^sub_/);
  expect(done.invoice).toMatch(/^in_/);
  const subscription = await ctx.stripe.subscriptions.retrieve(done.subscription as string, { expand: ['latest_invoice'] });
  expect(subscription).toMatchObject({ status: 'active', customer: customer.id, metadata: { pledge_id: 'pledge_hp1' } });
  expect(subscription.default_payment_method).toMatch(/^pm_/);
  expect(subscription.items.data[0]!.price.id).toBe(price.id);
  expect((subscription.latest_invoice as Stripe.Invoice)).toMatchObject({ status: 'paid', amount_paid: 500, billing_reason: 'subscription_create' });
  const retrieved = await ctx.stripe.checkout.sessions.retrieve(session.id);
  expect(retrieved.status).toBe('complete');
  expect(retrieved.url).toBeNull();
  await ctx.webhooks.waitForEvent('customer.subscription.created', (e) => (e.data.object as Stripe.Subscription).id === subscription.id);
  await ctx.webhooks.waitForEvent('invoice.paid', (e) => (e.data.object as Stripe.Invoice).id === done.invoice);
});

test('subscription Checkout with 4000000000009995: an error on the page, no subscription', async () => {
  const price = await recurringPrice(ctx.stripe, 500, 'month', 'Supporter');
  const customer = await ctx.stripe.customers.create({ email: `${uid('hp')}@example.com` });
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: `${site.url}/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${site.url}/cancel`,
  });
  const page = await newPage();
  await page.goto(session.url!);
  const checkoutUrl = page.url();
  await fillCardForm(page, { number: CARDS.insufficientFunds.number });
  await submitPayment(page);
  await expectVisibleError(page, /insufficient funds|declined/i);
  expect(page.url().startsWith(site.url), 'not redirected to success_url').toBe(false);
  expect(new URL(page.url()).pathname).toBe(new URL(checkoutUrl).pathname);
  await page.context().close();

  const after = await ctx.stripe.checkout.sessions.retrieve(session.id);
  expect(after.status).toBe('open');
  expect(after.payment_status).toBe('unpaid');
  expect(after.subscription).toBeNull();
  const active = await ctx.stripe.subscriptions.list({ customer: customer.id, status: 'active' });
  expect(active.data).toEqual([]);
  expect(ctx.webhooks.eventsOfTypes(['checkout.session.completed'], (e) => (e.data.object as Stripe.Checkout.Session).id === session.id)).toEqual([]);
  expect(site.hits.some((h) => h.includes(session.id))).toBe(false);
});

test('payment Checkout for a pledge: redirected, PaymentIntent succeeded with payment_intent_data metadata', async () => {
  const price = await oneTimePrice(ctx.stripe, 2500);
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: price.id, quantity: 1 }],
    customer_email: 'pledger@example.com',
    success_url: `${site.url}/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${site.url}/cancel`,
    payment_intent_data: { metadata: { pledge_id: 'pledge_hp2' } },
  });
  const page = await newPage();
  await page.goto(session.url!);
  await fillCardForm(page, { number: CARDS.visa.number, email: 'pledger@example.com' });
  await submitPayment(page);
  await page.waitForURL((u) => u.href.startsWith(`${site.url}/success`));
  await page.context().close();
  const completed = await ctx.webhooks.waitForEvent('checkout.session.completed', (e) => (e.data.object as Stripe.Checkout.Session).id === session.id);
  const done = completed.data.object as Stripe.Checkout.Session;
  expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', amount_total: 2500 });
  expect(done.customer_details?.email).toBe('pledger@example.com');
  const pi = await ctx.stripe.paymentIntents.retrieve(done.payment_intent as string);
  expect(pi).toMatchObject({ status: 'succeeded', amount: 2500, amount_received: 2500, metadata: { pledge_id: 'pledge_hp2' } });
});

test('the cancel link returns to cancel_url and leaves the session open', async () => {
  const price = await oneTimePrice(ctx.stripe, 1000);
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: `${site.url}/success`,
    cancel_url: `${site.url}/cancel?pledge=p3`,
  });
  const page = await newPage();
  await page.goto(session.url!);
  await page.getByRole('link', { name: /back|cancel|return/i }).first().click();
  await page.waitForURL(`${site.url}/cancel?pledge=p3`);
  await page.context().close();
  expect((await ctx.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
});

test('customer portal: cancel sets cancel_at_period_end, resume clears it; both emit customer.subscription.updated', async () => {
  const price = await recurringPrice(ctx.stripe, 500, 'month', 'Supporter');
  const { customer, paymentMethod } = await customerWithCard(ctx.stripe);
  const subscription = await ctx.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    default_payment_method: paymentMethod.id,
  });
  const portal = await ctx.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: `${site.url}/account` });
  const page = await newPage();
  await page.goto(portal.url);

  await clickThrough(page, /cancel (subscription|plan)/i);
  const canceling = await waitFor(async () => {
    const s = await ctx.stripe.subscriptions.retrieve(subscription.id);
    return s.cancel_at_period_end ? s : null;
  });
  expect(canceling.status).toBe('active');
  expect(canceling.cancel_at).toBe(subscription.items.data[0]!.current_period_end);
  const cancelEvent = await ctx.webhooks.waitForEvent(
    'customer.subscription.updated',
    (e) => (e.data.object as Stripe.Subscription).id === subscription.id && (e.data.object as Stripe.Subscription).cancel_at_period_end,
  );
  expect(cancelEvent.data.previous_attributes).toMatchObject({ cancel_at_period_end: false });

  await page.goto(portal.url);
  await clickThrough(page, /renew|resume|reactivate|don.t cancel|keep/i);
  const resumed = await waitFor(async () => {
    const s = await ctx.stripe.subscriptions.retrieve(subscription.id);
    return s.cancel_at_period_end ? null : s;
  });
  expect(resumed.status).toBe('active');
  expect(resumed.cancel_at).toBeNull();
  await ctx.webhooks.waitForEvent(
    'customer.subscription.updated',
    (e) => (e.data.object as Stripe.Subscription).id === subscription.id && e.id !== cancelEvent.id && !(e.data.object as Stripe.Subscription).cancel_at_period_end,
  );

  await page.getByRole('link', { name: /return|back/i }).first().click();
  await page.waitForURL(`${site.url}/account`);
  await page.context().close();
});

test('Checkout with 4000002500003155: the 3D Secure page completes authentication, then success_url', async () => {
  const price = await recurringPrice(ctx.stripe, 500, 'month', 'Supporter');
  const customer = await ctx.stripe.customers.create({ email: `${uid('hp')}@example.com` });
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: `${site.url}/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${site.url}/cancel`,
  });
  const page = await newPage();
  await page.goto(session.url!);
  await fillCardForm(page, { number: CARDS.authenticationRequiredOnSetup.number });
  await submitPayment(page);
  await clickInAnyFrame(page, /complete authentication|complete/i);
  await page.waitForURL((u) => u.href.startsWith(`${site.url}/success`));
  await page.context().close();
  const completed = await ctx.webhooks.waitForEvent('checkout.session.completed', (e) => (e.data.object as Stripe.Checkout.Session).id === session.id);
  const subscription = await ctx.stripe.subscriptions.retrieve((completed.data.object as Stripe.Checkout.Session).subscription as string);
  expect(subscription.status).toBe('active');
});

test('Checkout with 4000002500003155: failing authentication shows an error and completes nothing', async () => {
  const price = await oneTimePrice(ctx.stripe, 1500);
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: price.id, quantity: 1 }],
    customer_email: 'sca@example.com',
    success_url: `${site.url}/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${site.url}/cancel`,
  });
  const page = await newPage();
  await page.goto(session.url!);
  await fillCardForm(page, { number: CARDS.authenticationRequiredOnSetup.number, email: 'sca@example.com' });
  await submitPayment(page);
  await clickInAnyFrame(page, /fail authentication|fail/i);
  await expectVisibleError(page, /unable to authenticate|authenticat/i);
  expect(page.url().startsWith(site.url)).toBe(false);
  await page.context().close();
  const after = await ctx.stripe.checkout.sessions.retrieve(session.id);
  expect(after.status).toBe('open');
  expect(after.payment_status).toBe('unpaid');
});

test('setup-mode Checkout saves the card; it is then charged off-session (an authenticated 3155 card too)', async () => {
  for (const card of [CARDS.visa, CARDS.authenticationRequiredOnSetup]) {
    const customer = await ctx.stripe.customers.create({ email: `${uid('setup')}@example.com` });
    const session = await ctx.stripe.checkout.sessions.create({
      mode: 'setup',
      currency: 'usd',
      customer: customer.id,
      success_url: `${site.url}/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${site.url}/cancel`,
      setup_intent_data: { metadata: { pledge_id: 'pledge_aon' } },
    });
    const page = await newPage();
    await page.goto(session.url!);
    await fillCardForm(page, { number: card.number });
    await submitPayment(page);
    if (card === CARDS.authenticationRequiredOnSetup) await clickInAnyFrame(page, /complete authentication|complete/i);
    await page.waitForURL((u) => u.href.startsWith(`${site.url}/success`));
    await page.context().close();
    const completed = await ctx.webhooks.waitForEvent('checkout.session.completed', (e) => (e.data.object as Stripe.Checkout.Session).id === session.id);
    const done = completed.data.object as Stripe.Checkout.Session;
    expect(done).toMatchObject({ status: 'complete', payment_status: 'no_payment_required', mode: 'setup' });
    const si = await ctx.stripe.setupIntents.retrieve(done.setup_intent as string);
    expect(si).toMatchObject({ status: 'succeeded', customer: customer.id, metadata: { pledge_id: 'pledge_aon' } });
    const pmId = si.payment_method as string;
    expect((await ctx.stripe.paymentMethods.retrieve(pmId)).customer).toBe(customer.id);
    // The campaign deadline: the saved card is charged without the patron.
    const pi = await ctx.stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer: customer.id,
      payment_method: pmId,
      off_session: true,
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(pi.status, card.number).toBe('succeeded');
  }
});

/** Click a button (or link) by name, then any confirmation button with the same intent. */
async function clickThrough(page: Page, name: RegExp): Promise<void> {
  const target = page.getByRole('button', { name }).or(page.getByRole('link', { name }));
  await target.first().click();
  await page.waitForLoadState();
  const confirm = page.getByRole('button', { name });
  if (await confirm.first().isVisible().catch(() => false)) {
    await confirm.first().click();
    await page.waitForLoadState();
  }
}

async function expectVisibleError(page: Page, text: RegExp): Promise<void> {
  const alert = page.getByRole('alert').filter({ hasText: text });
  await alert.or(page.getByText(text)).first().waitFor({ state: 'visible' });
}

/** Click a button by name on the page or in any of its frames (Stripe shows 3DS in a frame). */
async function clickInAnyFrame(page: Page, name: RegExp): Promise<void> {
  const deadline = Date.now() + (realStripe ? 60_000 : 10_000);
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const button = frame.getByRole('button', { name });
      if (await button.first().isVisible().catch(() => false)) {
        await button.first().click();
        return;
      }
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`no button named ${name} appeared`);
}
