import { sql } from 'kysely';
import Stripe from 'stripe';
import type { Runner } from 'graphile-worker';
import type { Database } from '#app/core/db.server.ts';
import type { OutboxEmail } from '#app/core/email.server.ts';
import type { Project } from '#app/modules/projects/projects.server.ts';
import type { TierInput } from '#app/modules/tiers/schemas.ts';
import type { Tier } from '#app/modules/tiers/tiers.server.ts';
import type { RunningApp } from '../scripts/lib/app.ts';
import { startStripeSandbox, type SandboxSwitches, type StripeSandbox } from '../scripts/stripe-sandbox/index.ts';
import { Browserish } from './http.ts';
import type { TestUser } from './factories.ts';
import { freePort } from '../scripts/lib/net.ts';

/**
 * Story tests against real PostgreSQL, the Stripe sandbox and the real HTTP app:
 *
 *   const story = await startStripeStory();   // in beforeAll
 *   …
 *   await story.settle();                      // webhooks delivered and every job done
 *
 * The sandbox starts first (memory only, fast webhook retries), the app's webhook endpoint is
 * registered through the API as with Stripe, and STRIPE_* / APP_URL are set before any app
 * module is imported — so test files must not import app modules statically; they get them
 * from the story (or `await import()` after starting it). Jobs run in a graphile-worker of the
 * test process (concurrency 4, as in production), without the cron schedule.
 */

export const STORY_SECRET_KEY = 'sk_test_makerfund_stories';
export const CARDS = {
  visa: '4242424242424242',
  /** Attaches fine, every charge fails: a card that stopped working. */
  chargeFails: '4000000000000341',
  declined: '4000000000000002',
  /** Every payment needs the cardholder to authenticate (3-D Secure), so renewals off-session cannot complete. */
  authenticationRequired: '4000002760003184',
} as const;

export type Patron = TestUser & { browser: Browserish; customerId: string; clockId: string | null };

/** A page's HTML as a reader sees its text runs: React's `<!-- -->` separators gone, entities decoded. */
export async function pageText(response: Response): Promise<string> {
  const html = await response.text();
  return html
    .replace(/<!-- -->/g, '')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}


export async function startStripeStory(options: { switches?: Partial<SandboxSwitches> } = {}) {
  const sandbox: StripeSandbox = await startStripeSandbox({ port: 0, dataDir: null, webhookRetryDelaysMs: [100, 300, 1000], log: () => {}, switches: options.switches });
  const stripe = new Stripe(STORY_SECRET_KEY, { ...sandbox.stripeConfig, maxNetworkRetries: 0, telemetry: false });
  const port = await freePort();
  const appUrl = `http://localhost:${port}`;
  const endpoint = await stripe.webhookEndpoints.create({ url: `${appUrl}/webhooks/stripe`, enabled_events: ['*'] });

  process.env.STRIPE_SECRET_KEY = STORY_SECRET_KEY;
  process.env.STRIPE_API_BASE = sandbox.url;
  process.env.STRIPE_WEBHOOK_SECRETS = endpoint.secret as string;
  process.env.APP_URL = appUrl;
  process.env.PORT = String(port);
  // Handlers hold a connection while they read from Stripe; leave room for the app's requests.
  process.env.DATABASE_POOL_MAX = '12';

  const { startApp } = await import('../scripts/lib/app.ts');
  const app: RunningApp = await startApp({
    mode: 'development',
    port,
    database: { url: process.env.DATABASE_URL as string, embedded: false, ownedByThisProcess: false, stop: async () => {} },
    log: () => {},
  });
  const { db, pool } = await import('#app/core/db.server.ts');
  const { startWorker } = await import('#app/core/jobs.server.ts');
  const { taskList } = await import('#app/tasks.server.ts');
  const { readOutbox } = await import('#app/core/email.server.ts');
  const { runInvariants } = await import('#app/modules/ledger/invariants.server.ts');
  const { createTestProject, createTestTier } = await import('./factories/projects.ts');
  const { createTestUser } = await import('./factories.ts');
  let worker: Runner = await startWorker({ pool, taskList, concurrency: 4, pollInterval: 50, cronItems: [] });
  /** Stops running jobs (they queue up) until restartWorker(). */
  const workerControl = {
    stop: () => worker.stop(),
  };
  async function restartWorker(): Promise<void> {
    worker = await startWorker({ pool, taskList, concurrency: 4, pollInterval: 50, cronItems: [] });
  }

  async function jobCounts(): Promise<{ runnable: number; failing: { task: string; error: string }[] }> {
    const { rows } = await sql<{ runnable: number; failing: { task: string; error: string }[] | null }>`
      select
        count(*) filter (where j.locked_at is not null or (j.run_at <= now() and j.attempts < j.max_attempts))::int as runnable,
        json_agg(json_build_object('task', t.identifier, 'error', j.last_error)) filter (where j.last_error is not null) as failing
      from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id`.execute(db);
    // Stored Stripe events are a queue of their own (app/modules/payments/event-queue.server.ts).
    const events = await sql<{ pending: number; failing: { task: string; error: string }[] | null }>`
      select
        count(*) filter (where last_error is null)::int as pending,
        json_agg(json_build_object('task', 'stripe event ' || id || ' (' || type || ')', 'error', last_error)) filter (where last_error is not null) as failing
      from stripe_events where processed_at is null and parked_at is null`.execute(db);
    return {
      runnable: (rows[0]?.runnable ?? 0) + (events.rows[0]?.pending ?? 0),
      failing: [...(rows[0]?.failing ?? []), ...(events.rows[0]?.failing ?? [])],
    };
  }

  async function eventCount(): Promise<number> {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from stripe_events`.execute(db);
    return rows[0]?.n ?? 0;
  }

  /**
   * Until nothing moves: every webhook the sandbox has for us delivered, every job finished.
   * A job that failed is a bug in a story: its error is thrown rather than waited out.
   */
  async function settle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const before = await eventCount();
      await sandbox.flushWebhooks();
      const { runnable, failing } = await jobCounts();
      if (failing.length > 0) throw new Error(`A job failed: ${JSON.stringify(failing.slice(0, 3))}`);
      if (runnable === 0 && (await eventCount()) === before) {
        await sandbox.flushWebhooks();
        if ((await eventCount()) === before && (await jobCounts()).runnable === 0) return;
      }
      if (Date.now() > deadline) throw new Error(`settle timed out: ${runnable} jobs still runnable`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function advanceClock(clockId: string, frozenTime: number): Promise<void> {
    await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: frozenTime });
    for (;;) {
      const clock = await stripe.testHelpers.testClocks.retrieve(clockId);
      if (clock.status === 'ready') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await settle();
  }

  async function login(user: TestUser): Promise<Browserish> {
    const browser = new Browserish(appUrl);
    const response = await browser.post('/login', { email: user.email, password: user.password, redirectTo: '/' });
    if (response.status !== 302) throw new Error(`login failed: ${response.status}`);
    return browser;
  }

  /**
   * A patron whose Stripe customer lives on a test clock (stored in stripe_customers, so the
   * app reuses it), logged in over HTTP.
   */
  async function patron(options: { clock?: boolean } = {}): Promise<Patron> {
    const user = await createTestUser();
    let clockId: string | null = null;
    if (options.clock !== false) {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000), name: user.handle });
      clockId = clock.id;
    }
    const customer = await stripe.customers.create({ email: user.email, name: user.displayName, metadata: { user_id: user.id }, ...(clockId ? { test_clock: clockId } : {}) });
    await db.insertInto('stripe_customers').values({ user_id: user.id, stripe_customer_id: customer.id }).execute();
    return { ...user, browser: await login(user), customerId: customer.id, clockId };
  }

  async function maker(): Promise<TestUser & { browser: Browserish }> {
    const user = await createTestUser();
    return { ...user, browser: await login(user) };
  }

  /** A project with tiers through the projects module (Stripe product and prices included). */
  async function project(makerUser: TestUser, tiers: Partial<TierInput>[]): Promise<{ project: Project & { handle: string; url: string }; tiers: Tier[] }> {
    const created = await createTestProject(makerUser.id);
    const made: Tier[] = [];
    for (const tier of tiers) made.push(await createTestTier(created, tier));
    const fresh = await db.selectFrom('projects').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    return { project: { ...created, ...fresh, currency: created.currency, handle: makerUser.handle, url: `/@${makerUser.handle}/${created.slug}` }, tiers: made };
  }

  /** Stops (or resumes) Stripe delivering events to the app, to stand in for lost webhooks. */
  async function setWebhooksEnabled(enabled: boolean): Promise<void> {
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: !enabled });
  }

  /** Delivers events to /webhooks/stripe signed like Stripe (in the given order, `copies` of each at once). */
  async function deliver(events: Stripe.Event[], options: { copies?: number } = {}): Promise<number[]> {
    const statuses: number[] = [];
    for (const event of events) {
      const payload = JSON.stringify(event);
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: endpoint.secret as string });
      const responses = await Promise.all(
        Array.from({ length: options.copies ?? 1 }, () =>
          fetch(`${appUrl}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload }),
        ),
      );
      statuses.push(...responses.map((response) => response.status));
    }
    return statuses;
  }

  /** Every event Stripe recorded since `since` (unix seconds, the events' clock), oldest first. */
  async function eventsSince(since: number): Promise<Stripe.Event[]> {
    const events: Stripe.Event[] = [];
    for await (const event of stripe.events.list({ created: { gte: since }, limit: 100 })) events.push(event);
    return events.reverse();
  }

  /** POST /@handle/slug/pledge as the tier card does. */
  async function join(who: { browser: Browserish }, projectUrl: string, form: { tierId: string; interval?: string; amount?: string }): Promise<Response> {
    return who.browser.post(`${projectUrl}/pledge`, { interval: 'month', ...form });
  }

  /** Fills and submits the hosted Checkout page like a browser; returns where Stripe sends the patron. */
  async function completeCheckout(checkoutUrl: string, card: string = CARDS.visa): Promise<{ status: number; location: string | null; body: string }> {
    const page = await fetch(checkoutUrl);
    if (page.status !== 200) throw new Error(`Checkout page answered ${page.status}`);
    const html = await page.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error('No form on the Checkout page');
    const email = /id="email"[^>]*value="([^"]*)"/.exec(html)?.[1] ?? '';
    const response = await fetch(new URL(action.replace(/&amp;/g, '&'), checkoutUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email, card_number: card, card_expiry: '12 / 34', card_cvc: '123', card_name: 'Pat Ron' }).toString(),
      redirect: 'manual',
    });
    return { status: response.status, location: response.headers.get('location'), body: await response.text() };
  }

  /** Join and pay: the pledge id, after the webhooks are processed. */
  async function pledge(who: Patron, projectUrl: string, form: { tierId: string; interval?: string; amount?: string }, card: string = CARDS.visa): Promise<string> {
    const response = await join(who, projectUrl, form);
    const location = response.headers.get('location');
    if (response.status !== 303 || !location) throw new Error(`join answered ${response.status}: ${await response.text()}`);
    const done = await completeCheckout(location, card);
    if (done.status !== 303 || !done.location) throw new Error(`Checkout answered ${done.status}`);
    const pledgeId = new URL(done.location).searchParams.get('pledge');
    if (!pledgeId) throw new Error(`success_url without a pledge: ${done.location}`);
    await settle();
    return pledgeId;
  }

  async function pledgeRow(pledgeId: string) {
    return db.selectFrom('pledges').selectAll().where('id', '=', pledgeId).executeTakeFirstOrThrow();
  }

  async function invoiceRows(pledgeId: string) {
    return db.selectFrom('pledge_invoices').selectAll().where('pledge_id', '=', pledgeId).orderBy('period_start').orderBy('created_at').execute();
  }

  /** The patron's card stops working: by default a card that attaches but declines every charge becomes the default. */
  async function useFailingCard(who: Patron, pledgeId: string, card: string = CARDS.chargeFails): Promise<void> {
    const { stripe_subscription_id } = await pledgeRow(pledgeId);
    const pm = await stripe.paymentMethods.create({ type: 'card', card: { number: card, exp_month: 12, exp_year: 2034, cvc: '123' } });
    await stripe.paymentMethods.attach(pm.id, { customer: who.customerId });
    await stripe.customers.update(who.customerId, { invoice_settings: { default_payment_method: pm.id } });
    await stripe.subscriptions.update(stripe_subscription_id as string, { default_payment_method: pm.id });
    await settle();
  }

  /** "Update card" as a patron does it: POST /patron/portal, then Stripe's portal card form. */
  async function updateCardInPortal(who: Patron, card: string = CARDS.visa): Promise<void> {
    const response = await who.browser.post('/patron/portal', {});
    const portalUrl = response.headers.get('location');
    if (response.status !== 303 || !portalUrl) throw new Error(`/patron/portal answered ${response.status}`);
    const saved = await fetch(new URL(`${new URL(portalUrl).pathname}/payment-method`, portalUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ card_number: card, card_expiry: '12 / 34', card_cvc: '123', card_name: 'Pat Ron' }).toString(),
      redirect: 'manual',
    });
    if (saved.status !== 303) throw new Error(`portal card form answered ${saved.status}`);
    await settle();
  }

  /** A form on /patron/pledges/:id. */
  async function manage(who: { browser: Browserish }, pledgeId: string, form: Record<string, string>): Promise<{ status: number; text: string }> {
    const response = await who.browser.post(`/patron/pledges/${pledgeId}`, form);
    return { status: response.status, text: await pageText(response) };
  }

  async function emailsTo(address: string): Promise<OutboxEmail[]> {
    return (await readOutbox()).filter((message) => message.to === address).reverse();
  }

  /** Every ledger invariant; throws with the violations when one fails. */
  async function expectInvariants(): Promise<void> {
    const broken = (await runInvariants(db)).filter((result) => result.violations.length > 0);
    if (broken.length > 0) throw new Error(`Ledger invariants violated:\n${JSON.stringify(broken, null, 2)}`);
  }

  /** Balances per ledger account code (debits positive) from one project's transactions, for exact assertions. */
  async function balances(projectId: string): Promise<Record<string, number>> {
    const rows = await db
      .selectFrom('ledger_entries')
      .innerJoin('ledger_accounts', 'ledger_accounts.id', 'ledger_entries.account_id')
      .innerJoin('ledger_transactions', 'ledger_transactions.id', 'ledger_entries.transaction_id')
      .select(['ledger_accounts.code', sql<number>`sum(ledger_entries.amount)::int8`.as('balance')])
      .where('ledger_transactions.project_id', '=', projectId)
      .groupBy('ledger_accounts.code')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.code, row.balance]));
  }

  async function close(): Promise<void> {
    await worker.stop();
    await app.stop();
    await sandbox.close();
  }

  return {
    db: db as Database,
    stripe,
    sandbox,
    app,
    appUrl,
    settle,
    advanceClock,
    patron,
    maker,
    login,
    project,
    join,
    completeCheckout,
    setWebhooksEnabled,
    deliver,
    eventsSince,
    pledge,
    pledgeRow,
    invoiceRows,
    useFailingCard,
    updateCardInPortal,
    manage,
    emailsTo,
    expectInvariants,
    balances,
    worker: workerControl,
    restartWorker,
    close,
  };
}

export type StripeStory = Awaited<ReturnType<typeof startStripeStory>>;
