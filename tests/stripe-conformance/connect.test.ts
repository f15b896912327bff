// Connect with Express accounts: separate charges and transfers (see shared MONEY.md).
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import Stripe from 'stripe';
import { CARDS, idOf, paidIntent, realStripe, stripeError, uid, useStripe, WAIT_MS } from './harness.ts';
import { launchBrowser, onboardedExpressAccount, startReturnSite } from './browser.ts';

const ctx = useStripe();
let browser: Browser;
let site: Awaited<ReturnType<typeof startReturnSite>>;
let maker: Stripe.Account | null = null;

beforeAll(async () => {
  browser = await launchBrowser();
  site = await startReturnSite();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

async function makerAccount(): Promise<Stripe.Account> {
  maker ??= await onboardedExpressAccount(ctx.stripe, { realStripe, returnBase: site.url, browser });
  return maker;
}

const availableUsd = (b: Stripe.Balance) => b.available.find((x) => x.currency === 'usd')?.amount ?? 0;
const pendingUsd = (b: Stripe.Balance) => b.pending.find((x) => x.currency === 'usd')?.amount ?? 0;

/** Platform funds that are available at once (4000000000000077 bypasses pending). */
async function fundPlatform(amount: number): Promise<Stripe.Charge> {
  const pi = await paidIntent(ctx.stripe, amount, CARDS.bypassPending);
  return ctx.stripe.charges.retrieve(idOf(pi.latest_charge)!, { expand: ['balance_transaction'] });
}

test('an Express account is created not yet able to take charges or payouts', async () => {
  const email = `${uid('maker')}@example.com`;
  const account = await ctx.stripe.accounts.create({
    type: 'express',
    country: 'US',
    email,
    capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
    metadata: { maker_id: 'maker_9' },
  });
  expect(account.id).toMatch(/^acct_/);
  expect(account).toMatchObject({
    object: 'account',
    type: 'express',
    country: 'US',
    email,
    charges_enabled: false,
    payouts_enabled: false,
    details_submitted: false,
    default_currency: 'usd',
    metadata: { maker_id: 'maker_9' },
  });
  expect(account.capabilities?.transfers).not.toBe('active');
  expect(account.requirements?.currently_due?.length).toBeGreaterThan(0);
  const retrieved = await ctx.stripe.accounts.retrieve(account.id);
  expect(retrieved.id).toBe(account.id);
  const listed = await ctx.stripe.accounts.list({ limit: 100 });
  expect(listed.data.map((a) => a.id)).toContain(account.id);
});

test('an account link returns a hosted onboarding url that expires', async () => {
  const account = await ctx.stripe.accounts.create({ type: 'express', country: 'US', capabilities: { transfers: { requested: true } } });
  const link = await ctx.stripe.accountLinks.create({
    account: account.id,
    type: 'account_onboarding',
    refresh_url: 'https://makerfund.test/onboarding/refresh',
    return_url: 'https://makerfund.test/onboarding/return',
  });
  expect(link.object).toBe('account_link');
  expect(link.url).toMatch(/^https?:\/\//);
  expect(link.expires_at).toBeGreaterThan(link.created);
  expect(link.expires_at - link.created).toBeLessThanOrEqual(3600);
  const err = await stripeError(
    ctx.stripe.accountLinks.create({ account: account.id, type: 'account_onboarding', refresh_url: 'https://makerfund.test/r' } as Stripe.AccountLinkCreateParams),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.param).toBe('return_url');
});

test('a transfer to an account that has not finished onboarding is refused', async () => {
  const account = await ctx.stripe.accounts.create({ type: 'express', country: 'US', capabilities: { transfers: { requested: true } } });
  await fundPlatform(2000);
  const err = await stripeError(
    ctx.stripe.transfers.create({ amount: 500, currency: 'usd', destination: account.id }),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.statusCode).toBe(400);
  expect(err.message).toMatch(/capabilit/i);
});

test('onboarding through the account link enables the account and emits account.updated to the Connect endpoint', async () => {
  const account = await makerAccount();
  expect(account).toMatchObject({ charges_enabled: true, payouts_enabled: true, details_submitted: true });
  expect(account.capabilities?.transfers).toBe('active');
  if (!realStripe) {
    const event = await ctx.connectWebhooks.waitForEvent('account.updated', (e) => e.account === account.id);
    expect(event.account).toBe(account.id);
    expect((event.data.object as Stripe.Account).id).toBe(account.id);
  }
});

test('a transfer with an idempotency key is made once; the platform balance drops by its amount', async () => {
  const account = await makerAccount();
  const charge = await fundPlatform(2000);
  expect((charge.balance_transaction as Stripe.BalanceTransaction).status).toBe('available');
  const before = await ctx.stripe.balance.retrieve();
  const key = `payout-${uid()}`;
  const params: Stripe.TransferCreateParams = {
    amount: 1000,
    currency: 'usd',
    destination: account.id,
    transfer_group: 'project_1',
    metadata: { payout_id: key },
  };
  const first = await ctx.stripe.transfers.create(params, { idempotencyKey: key });
  const second = await ctx.stripe.transfers.create(params, { idempotencyKey: key });
  expect(second.id).toBe(first.id);
  expect(first.id).toMatch(/^tr_/);
  expect(first).toMatchObject({
    object: 'transfer',
    amount: 1000,
    amount_reversed: 0,
    currency: 'usd',
    destination: account.id,
    reversed: false,
    transfer_group: 'project_1',
    metadata: { payout_id: key },
  });
  expect(first.destination_payment).toMatch(/^py_/);
  const listed = await ctx.stripe.transfers.list({ destination: account.id, transfer_group: 'project_1' });
  expect(listed.data.filter((t) => t.metadata.payout_id === key)).toHaveLength(1);
  const bt = await ctx.stripe.balanceTransactions.retrieve(idOf(first.balance_transaction)!);
  expect(bt).toMatchObject({ amount: -1000, fee: 0, net: -1000, type: 'transfer', source: first.id });
  const after = await ctx.stripe.balance.retrieve();
  expect(availableUsd(after) - availableUsd(before)).toBe(-1000);
  await ctx.webhooks.waitForEvent('transfer.created', (e) => (e.data.object as Stripe.Transfer).id === first.id);
});

test('the connected account sees the transfer in its balance (stripeAccount)', async () => {
  const account = await makerAccount();
  await fundPlatform(2000);
  const before = await ctx.stripe.balance.retrieve({}, { stripeAccount: account.id });
  expect(before.object).toBe('balance');
  const transfer = await ctx.stripe.transfers.create({ amount: 700, currency: 'usd', destination: account.id });
  const after = await ctx.stripe.balance.retrieve({}, { stripeAccount: account.id });
  expect(availableUsd(after) + pendingUsd(after) - (availableUsd(before) + pendingUsd(before))).toBe(700);
  const payment = await ctx.stripe.charges.retrieve(transfer.destination_payment as string, {}, { stripeAccount: account.id });
  expect(payment).toMatchObject({ amount: 700, source_transfer: transfer.id });
});

test('a transfer reversal takes money back from the connected account', async () => {
  const account = await makerAccount();
  await fundPlatform(2000);
  const transfer = await ctx.stripe.transfers.create({ amount: 1000, currency: 'usd', destination: account.id });
  const reversal = await ctx.stripe.transfers.createReversal(transfer.id, { amount: 400, metadata: { reason: 'refund' } });
  expect(reversal.id).toMatch(/^trr_/);
  expect(reversal).toMatchObject({ object: 'transfer_reversal', amount: 400, currency: 'usd', transfer: transfer.id, metadata: { reason: 'refund' } });
  const bt = await ctx.stripe.balanceTransactions.retrieve(idOf(reversal.balance_transaction)!);
  expect(bt).toMatchObject({ amount: 400, type: 'transfer_refund' });
  const after = await ctx.stripe.transfers.retrieve(transfer.id);
  expect(after).toMatchObject({ amount_reversed: 400, reversed: false });
  const reversals = await ctx.stripe.transfers.listReversals(transfer.id);
  expect(reversals.data.map((r) => r.id)).toEqual([reversal.id]);
  await ctx.webhooks.waitForEvent('transfer.reversed', (e) => (e.data.object as Stripe.Transfer).id === transfer.id);
  const err = await stripeError(ctx.stripe.transfers.createReversal(transfer.id, { amount: 700 }), Stripe.errors.StripeInvalidRequestError);
  expect(err.statusCode).toBe(400);
  const full = await ctx.stripe.transfers.createReversal(transfer.id);
  expect(full.amount).toBe(600);
  expect((await ctx.stripe.transfers.retrieve(transfer.id)).reversed).toBe(true);
});

test('a payout on the connected account emits payout.paid to the Connect endpoint with event.account', async () => {
  const account = await makerAccount();
  await fundPlatform(2000);
  await ctx.stripe.transfers.create({ amount: 900, currency: 'usd', destination: account.id });
  const payout = await ctx.stripe.payouts.create({ amount: 500, currency: 'usd', metadata: { maker_id: 'maker_1' } }, { stripeAccount: account.id });
  expect(payout.id).toMatch(/^po_/);
  expect(payout).toMatchObject({ object: 'payout', amount: 500, currency: 'usd', automatic: false, method: 'standard', type: 'bank_account' });
  expect(['pending', 'in_transit', 'paid']).toContain(payout.status);
  expect(payout.destination).toMatch(/^ba_/);
  const paid = await ctx.connectWebhooks.waitForEvent('payout.paid', (e) => (e.data.object as Stripe.Payout).id === payout.id, realStripe ? 20 * 60_000 : WAIT_MS);
  expect(paid.account).toBe(account.id);
  expect((paid.data.object as Stripe.Payout)).toMatchObject({ status: 'paid', amount: 500, metadata: { maker_id: 'maker_1' } });
  expect(ctx.webhooks.events().some((e) => e.id === paid.id), 'connected-account events go to connect endpoints only').toBe(false);
  const created = await ctx.connectWebhooks.waitForEvent('payout.created', (e) => (e.data.object as Stripe.Payout).id === payout.id);
  expect(created.account).toBe(account.id);
  const retrieved = await ctx.stripe.payouts.retrieve(payout.id, {}, { stripeAccount: account.id });
  expect(retrieved.status).toBe('paid');
  const listed = await ctx.stripe.payouts.list({ limit: 10 }, { stripeAccount: account.id });
  expect(listed.data.map((p) => p.id)).toContain(payout.id);
  const missing = await stripeError(ctx.stripe.payouts.retrieve(payout.id), Stripe.errors.StripeInvalidRequestError);
  expect(missing.code, 'the platform does not see the connected account’s payout').toBe('resource_missing');
});

test('a payout larger than the connected account balance is refused', async () => {
  const account = await makerAccount();
  const balance = await ctx.stripe.balance.retrieve({}, { stripeAccount: account.id });
  const err = await stripeError(
    ctx.stripe.payouts.create({ amount: availableUsd(balance) + 100_000, currency: 'usd' }, { stripeAccount: account.id }),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.code).toBe('balance_insufficient');
});

test('a transfer larger than the available platform balance is refused (balance_insufficient)', async () => {
  const account = await makerAccount();
  const balance = await ctx.stripe.balance.retrieve();
  const err = await stripeError(
    ctx.stripe.transfers.create({ amount: availableUsd(balance) + 100_000, currency: 'usd', destination: account.id }),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.code).toBe('balance_insufficient');
  expect(availableUsd(await ctx.stripe.balance.retrieve())).toBe(availableUsd(balance));
});

// Stripe: the maker is sent to refresh_url when the link expired or was already visited
// (a refresh, or back/forward in the browser).
test('an account link is single-use: visiting it again sends the maker to refresh_url', async () => {
  const account = await ctx.stripe.accounts.create({ type: 'express', country: 'US', capabilities: { transfers: { requested: true } } });
  const link = await ctx.stripe.accountLinks.create({
    account: account.id,
    type: 'account_onboarding',
    refresh_url: `${site.url}/onboarding/refresh`,
    return_url: `${site.url}/onboarding/return`,
  });
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(link.url);
  expect(page.url().startsWith(site.url)).toBe(false);
  await page.reload();
  await page.waitForURL(`${site.url}/onboarding/refresh`);
  const again = await (await browser.newContext()).newPage();
  await again.goto(link.url);
  await again.waitForURL(`${site.url}/onboarding/refresh`);
  await again.context().close();
  await page.context().close();
});

test('an onboarded Express account gets a dashboard login link', async () => {
  const account = await makerAccount();
  const login = await ctx.stripe.accounts.createLoginLink(account.id);
  expect(login.object).toBe('login_link');
  expect(login.url).toMatch(/^https?:\/\//);
});

test('a transfer with source_transaction may use a charge whose funds are still pending', async () => {
  const account = await makerAccount();
  const pi = await paidIntent(ctx.stripe, 5000);
  const charge = await ctx.stripe.charges.retrieve(idOf(pi.latest_charge)!, { expand: ['balance_transaction'] });
  expect((charge.balance_transaction as Stripe.BalanceTransaction).status).toBe('pending');
  const transfer = await ctx.stripe.transfers.create({ amount: 4000, currency: 'usd', destination: account.id, source_transaction: charge.id, transfer_group: 'pledge_src' });
  expect(transfer).toMatchObject({ amount: 4000, source_transaction: charge.id, destination: account.id });
  // The transfer can't be larger than its source charge.
  const other = await paidIntent(ctx.stripe, 1000);
  const err = await stripeError(
    ctx.stripe.transfers.create({ amount: 1001, currency: 'usd', destination: account.id, source_transaction: idOf(other.latest_charge)! }),
    Stripe.errors.StripeInvalidRequestError,
  );
  expect(err.statusCode).toBe(400);
});

test('a request for an account the platform cannot access is refused (403)', async () => {
  const err = await stripeError(ctx.stripe.balance.retrieve({}, { stripeAccount: 'acct_doesnotexist123' }), Stripe.errors.StripePermissionError);
  expect(err.statusCode).toBe(403);
});
