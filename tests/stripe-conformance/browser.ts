// Headless Chromium (Debian's package) driven by playwright-core, for the hosted pages a
// person uses: Checkout, the customer portal and Connect onboarding.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROME_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROME_PATH}. Install it with: apt-get update && apt-get install -y chromium ` +
        '(or set CHROME_PATH to a Chromium/Chrome binary).',
    );
  }
  return chromium.launch({
    executablePath: CHROME_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A tiny local site standing in for the app's success/cancel/return pages. */
export async function startReturnSite(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '/');
    const title = (req.url ?? '/').split('?')[0]!.replace(/^\//, '') || 'home';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>${title}</title><h1>Makerfund ${title}</h1>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}

export type CardDetails = { number: string; expiry?: string; cvc?: string; name?: string; email?: string };

/** Fill Stripe Checkout's card form as a person would, by accessible labels. */
export async function fillCardForm(page: Page, card: CardDetails): Promise<void> {
  const email = page.getByLabel(/^email/i);
  if (card.email !== undefined && (await email.count()) > 0 && (await email.first().isEditable())) {
    await email.first().fill(card.email);
  }
  await page.getByLabel(/card number/i).fill(card.number);
  await page.getByLabel(/expiration|expiry|MM \/ YY/i).fill(card.expiry ?? '12 / 34');
  await page.getByLabel(/cvc|security code/i).fill(card.cvc ?? '123');
  const name = page.getByLabel(/cardholder name|name on card/i);
  if ((await name.count()) > 0) await name.first().fill(card.name ?? 'Pat Ron');
}

export async function submitPayment(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^(pay|subscribe|save|start trial|confirm)/i }).first().click();
}

/**
 * An Express account that finished onboarding, as a maker would: through the account
 * link's hosted page. Against real Stripe (where Express onboarding cannot be scripted)
 * an already onboarded account is taken from STRIPE_CONFORMANCE_CONNECTED_ACCOUNT.
 */
export async function onboardedExpressAccount(
  stripe: import('stripe').default,
  opts: { realStripe: boolean; returnBase: string; browser?: Browser },
): Promise<import('stripe').default.Account> {
  if (opts.realStripe) {
    const id = process.env.STRIPE_CONFORMANCE_CONNECTED_ACCOUNT;
    if (!id) throw new Error('Set STRIPE_CONFORMANCE_CONNECTED_ACCOUNT to an onboarded Express account (acct_…) to run Connect tests against real Stripe.');
    return stripe.accounts.retrieve(id);
  }
  const account = await stripe.accounts.create({
    type: 'express',
    country: 'US',
    email: `maker-${Date.now()}@example.com`,
    capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
    metadata: { maker_id: 'maker_1' },
  });
  const link = await stripe.accountLinks.create({
    account: account.id,
    type: 'account_onboarding',
    refresh_url: `${opts.returnBase}/onboarding/refresh`,
    return_url: `${opts.returnBase}/onboarding/return`,
  });
  const browser = opts.browser ?? (await launchBrowser());
  try {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(link.url);
    await completeOnboardingForm(page);
    await page.waitForURL(`${opts.returnBase}/onboarding/return`);
    await page.context().close();
  } finally {
    if (!opts.browser) await browser.close();
  }
  for (let i = 0; i < 200; i++) {
    const a = await stripe.accounts.retrieve(account.id);
    if (a.charges_enabled && a.payouts_enabled && a.details_submitted) return a;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`account ${account.id} is not enabled after onboarding`);
}

/** Fill the hosted onboarding form's fields by their labels, then submit it. */
export async function completeOnboardingForm(page: Page): Promise<void> {
  const fields: [RegExp, string][] = [
    [/phone/i, '0000000000'],
    [/first name/i, 'Mae'],
    [/last name/i, 'Ker'],
    [/date of birth|birth/i, '1990-01-01'],
    [/routing/i, '110000000'],
    [/account number/i, '000123456789'],
    [/ssn|social security/i, '0000'],
    [/website|url/i, 'https://makerfund.test/makers/mae'],
  ];
  for (const [label, value] of fields) {
    const input = page.getByLabel(label);
    if ((await input.count()) > 0 && (await input.first().isEditable().catch(() => false)) && !(await input.first().inputValue().catch(() => ''))) {
      await input.first().fill(value);
    }
  }
  const agree = page.getByRole('checkbox');
  for (let i = 0; i < (await agree.count()); i++) await agree.nth(i).check();
  await page.getByRole('button', { name: /submit|agree|continue|done|finish|save/i }).first().click();
}
