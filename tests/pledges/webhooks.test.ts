import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type Stripe from 'stripe';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { startStripeStory, type Patron, type StripeStory } from '#tests/stripe.ts';

let story: StripeStory;
let processStripeEvent: typeof import('#app/modules/payments/process-event.server.ts').processStripeEvent;
let syncFromStripe: typeof import('#app/modules/payments/stripe-sync.server.ts').syncFromStripe;
let logger: typeof import('#app/core/logger.server.ts').logger;
beforeAll(async () => {
  story = await startStripeStory();
  ({ processStripeEvent } = await import('#app/modules/payments/process-event.server.ts'));
  ({ syncFromStripe } = await import('#app/modules/payments/stripe-sync.server.ts'));
  ({ logger } = await import('#app/core/logger.server.ts'));
});
afterAll(async () => {
  await story?.close();
});

const HOUR = 3600;
const seconds = (date: Date | null) => Math.floor((date as Date).getTime() / 1000);

/** Moves the patron's test clock two hours past `periodEnd`, without settling: with the worker stopped, the renewal's webhooks wait as a backlog. */
async function renewWithoutSettling(pat: Patron, periodEnd: Date | null): Promise<void> {
  await story.stripe.testHelpers.testClocks.advance(pat.clockId!, { frozen_time: seconds(periodEnd) + 2 * HOUR });
  while ((await story.stripe.testHelpers.testClocks.retrieve(pat.clockId!)).status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The app's own Stripe requests ("GET /v1/invoices/:id") between record.start() and record.stop(). */
async function stripeRequests() {
  const { stripe: appStripe } = await import('#app/modules/payments/stripe.server.ts');
  const reads: string[] = [];
  const listener = (response: Stripe.ResponseEvent) => reads.push(`${response.method} ${response.path.replace(/\/[a-z]+_[A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*/g, '/:id').split('?')[0]}`);
  return { reads, record: { start: () => appStripe.on('response', listener), stop: () => appStripe.off('response', listener) } };
}

/**
 * Renewals stored while no worker runs (a backlog, as after an outage), then drained by the
 * worker; returns the app's Stripe requests during the drain.
 */
async function drainBacklog(store: () => Promise<void>): Promise<string[]> {
  const { reads, record } = await stripeRequests();
  await story.worker.stop();
  try {
    await store();
    await story.sandbox.flushWebhooks();
    record.start();
  } finally {
    await story.restartWorker();
  }
  await story.settle();
  record.stop();
  return reads;
}

/** What a pledge looks like to the patron, the maker and the ledger: compared across delivery orders. */
async function pledgeState(pledgeId: string) {
  const pledge = await story.pledgeRow(pledgeId);
  const invoices = await story.invoiceRows(pledgeId);
  const ledger = await story.db
    .selectFrom('ledger_transactions')
    .innerJoin('ledger_entries', 'ledger_entries.transaction_id', 'ledger_transactions.id')
    .innerJoin('ledger_accounts', 'ledger_accounts.id', 'ledger_entries.account_id')
    .select(['ledger_transactions.kind', sql<string>`split_part(ledger_accounts.code, ':', 1)`.as('account'), sql<number>`sum(ledger_entries.amount)::int8`.as('amount')])
    .where('ledger_transactions.pledge_id', '=', pledgeId)
    .groupBy(['ledger_transactions.kind', sql`split_part(ledger_accounts.code, ':', 1)`])
    .orderBy('kind')
    .orderBy('account')
    .execute();
  const patron = await story.db.selectFrom('users').select('email').where('id', '=', pledge.patron_id).executeTakeFirstOrThrow();
  const emails = (await story.emailsTo(patron.email)).map((email) => email.tag).sort();
  return {
    pledge: { status: pledge.status, amount: pledge.amount, cancel: pledge.cancel_at_period_end, stripeStatus: pledge.stripe_status, periods: seconds(pledge.current_period_end) - seconds(pledge.current_period_start) },
    invoices: invoices.map((invoice) => ({
      reason: invoice.billing_reason,
      status: invoice.status,
      paid: invoice.amount_paid,
      fee: invoice.stripe_fee,
      platform: invoice.platform_fee,
      net: invoice.maker_net,
      receipted: invoice.receipt_sent_at !== null,
    })),
    ledger,
    emails,
  };
}

function eventsOf(events: Stripe.Event[], customerId: string): Stripe.Event[] {
  return events.filter((event) => {
    const object = event.data.object as { id?: string; customer?: string | { id: string } | null };
    const customer = typeof object.customer === 'string' ? object.customer : object.customer?.id;
    return customer === customerId || object.id === customerId;
  });
}

/** A seeded shuffle, so a failure can be reproduced. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function joinAndRenew(pat: Patron, projectUrl: string, tierId: string, renewals: number) {
  const pledgeId = await story.pledge(pat, projectUrl, { tierId }).catch(async () => {
    // With webhooks off the pledge stays pending: find it by its patron.
    const row = await story.db.selectFrom('pledges').select('id').where('patron_id', '=', pat.id).executeTakeFirstOrThrow();
    return row.id;
  });
  const subscription = (await story.stripe.subscriptions.list({ customer: pat.customerId })).data[0]!;
  let end = subscription.items.data[0]!.current_period_end;
  for (let i = 0; i < renewals; i++) {
    await story.advanceClock(pat.clockId!, end + 2 * HOUR);
    end = (await story.stripe.subscriptions.retrieve(subscription.id)).items.data[0]!.current_period_end;
  }
  return pledgeId;
}

test('intake stores an event once, the row being its queue entry; duplicates and concurrent copies add nothing, and it is processed once', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  const { stripe_subscription_id } = await story.pledgeRow(pledgeId);
  const [event] = (await story.eventsSince(0)).filter((e) => e.type === 'customer.subscription.created' && (e.data.object as Stripe.Subscription).id === stripe_subscription_id);
  const stored = await story.db.selectFrom('stripe_events').selectAll().where('id', '=', event!.id).executeTakeFirstOrThrow();
  expect(stored).toMatchObject({ outcome: 'applied', attempts: 1, last_error: null, parked_at: null });
  expect(stored.processed_at).not.toBeNull();

  await story.db.deleteFrom('stripe_events').where('id', '=', event!.id).execute();
  // Jobs wait while we look at them (a running worker would finish and delete the job first).
  await story.worker.stop();
  try {
    expect(await story.deliver([event!], { copies: 10 })).toEqual(Array(10).fill(200));
    // Ten copies, one row: the row is also the queue entry, waiting for a worker.
    const waiting = await story.db.selectFrom('stripe_events').selectAll().where('id', '=', event!.id).execute();
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ processed_at: null, attempts: 0, parked_at: null });
  } finally {
    await story.restartWorker();
  }
  await story.settle();
  const after = await story.db.selectFrom('stripe_events').selectAll().where('id', '=', event!.id).execute();
  expect(after).toHaveLength(1);
  expect(after[0]).toMatchObject({ outcome: 'applied', attempts: 1, last_error: null, locked_until: null });
});

test('the same invoice.paid processed 2× and 10× concurrently: one invoice row, one payment and one fee in the ledger, one receipt', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  const before = await pledgeState(pledgeId);
  const paid = eventsOf(await story.eventsSince(0), pat.customerId).find((event) => event.type === 'invoice.paid')!;
  for (const copies of [2, 10]) {
    const outcomes = await Promise.all(Array.from({ length: copies }, () => processStripeEvent(story.db, paid.id, { mode: 'replay' })));
    expect(outcomes).toEqual(Array(copies).fill('applied'));
    await story.settle();
    expect(await pledgeState(pledgeId)).toEqual(before);
  }
  expect(before.invoices).toHaveLength(1);
  expect(before.ledger).toEqual([
    { kind: 'invoice_payment', account: 'maker_payable', amount: -475 },
    { kind: 'invoice_payment', account: 'platform_revenue', amount: -25 },
    { kind: 'invoice_payment', account: 'stripe_balance', amount: 500 },
    { kind: 'stripe_fee', account: 'maker_payable', amount: 45 },
    { kind: 'stripe_fee', account: 'stripe_balance', amount: -45 },
  ]);
  expect(before.emails).toEqual(['pledge-receipt']);
  await story.expectInvariants();
});

test('every event of a join and two renewals, delivered late, shuffled and twice at once, ends exactly where ordered delivery does', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const ordered = await story.patron();
  const orderedPledge = await joinAndRenew(ordered, project.url, tiers[0]!.id, 2);

  const late = await story.patron();
  await story.setWebhooksEnabled(false);
  let latePledge: string;
  try {
    latePledge = await joinAndRenew(late, project.url, tiers[0]!.id, 2);
  } finally {
    await story.setWebhooksEnabled(true);
  }
  expect((await story.pledgeRow(latePledge)).status).toBe('pending');
  const events = eventsOf(await story.eventsSince(0), late.customerId);
  expect(events.length).toBeGreaterThan(15);
  const statuses = await story.deliver(shuffle(events, 42), { copies: 2 });
  expect(statuses.every((status) => status === 200)).toBe(true);
  await story.settle();
  expect(await pledgeState(latePledge)).toEqual(await pledgeState(orderedPledge));
  await story.expectInvariants();
});

test('a missed invoice.paid is repaired by the sync: the renewal appears in pledge_invoices and the ledger', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  const start = await story.pledgeRow(pledgeId);

  await story.setWebhooksEnabled(false);
  try {
    await story.advanceClock(pat.clockId!, seconds(start.current_period_end) + 2 * HOUR);
  } finally {
    await story.setWebhooksEnabled(true);
  }
  expect(await story.invoiceRows(pledgeId)).toHaveLength(1);
  expect((await story.pledgeRow(pledgeId)).current_period_start).toEqual(start.current_period_start);

  const report = await syncFromStripe(story.db, { since: start.created_at });
  expect(report.failed).toEqual([]);
  expect(report.applied).toBeGreaterThan(0);
  await story.settle();
  const invoices = await story.invoiceRows(pledgeId);
  expect(invoices.map((invoice) => [invoice.billing_reason, invoice.status, invoice.amount_paid, invoice.maker_net])).toEqual([
    ['subscription_create', 'paid', 500, 430],
    ['subscription_cycle', 'paid', 500, 430],
  ]);
  expect((await story.pledgeRow(pledgeId)).current_period_start).toEqual(start.current_period_end);
  expect(await story.balances(project.id)).toEqual({ 'stripe_balance:eur': 910, 'platform_revenue:eur': -50, [`maker_payable:${maker.id}:eur`]: -860 });
  // Running it again changes nothing.
  const again = await pledgeState(pledgeId);
  await syncFromStripe(story.db, { since: start.created_at });
  await story.settle();
  expect(await pledgeState(pledgeId)).toEqual(again);
  await story.expectInvariants();
});

test('objects without our ids are recorded as not ours; unknown types as ignored', async () => {
  const customer = await story.stripe.customers.create({ email: 'someone@example.test' });
  const pm = await story.stripe.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' } });
  await story.stripe.paymentMethods.attach(pm.id, { customer: customer.id });
  const product = await story.stripe.products.create({ name: 'Not ours' });
  const price = await story.stripe.prices.create({ product: product.id, currency: 'eur', unit_amount: 900, recurring: { interval: 'month' } });
  await story.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: pm.id, metadata: { order: '7' } });
  await story.settle();
  const outcomes = await story.db
    .selectFrom('stripe_events')
    .select(['type', 'outcome'])
    .where(sql<boolean>`payload::jsonb->'data'->'object'->>'customer' = ${customer.id} or object_id = ${customer.id}`)
    .execute();
  const byType = Object.fromEntries(outcomes.map((row) => [row.type, row.outcome]));
  expect(byType).toMatchObject({ 'customer.subscription.created': 'not_ours', 'invoice.paid': 'not_ours', 'invoice.payment_succeeded': 'ignored', 'customer.created': 'ignored' });
  expect(await story.db.selectFrom('pledge_invoices').select('id').where('stripe_invoice_id', 'in', (await story.stripe.invoices.list({ customer: customer.id })).data.map((i) => i.id as string)).execute()).toEqual([]);
});

test('an event naming a pledge we do not have is retried, parked with an alert on its last attempt, and applied by a replay once the pledge exists', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = randomUUID();
  const pm = await story.stripe.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' } });
  await story.stripe.paymentMethods.attach(pm.id, { customer: pat.customerId });
  const tierPrice = await story.db.selectFrom('tier_prices').select('stripe_price_id').where('tier_id', '=', tiers[0]!.id).executeTakeFirstOrThrow();

  await story.setWebhooksEnabled(false);
  const subscription = await story.stripe.subscriptions
    .create({
      customer: pat.customerId,
      items: [{ price: tierPrice.stripe_price_id }],
      default_payment_method: pm.id,
      metadata: { pledge_id: pledgeId, project_id: project.id, tier_id: tiers[0]!.id },
    })
    .finally(() => story.setWebhooksEnabled(true));
  const created = eventsOf(await story.eventsSince(0), pat.customerId).find((event) => event.type === 'customer.subscription.created')!;
  // Stored as the intake would, but with the workers paused, so the attempts are driven by hand.
  await story.worker.stop();
  await story.db
    .insertInto('stripe_events')
    .values({ id: created.id, type: created.type, livemode: false, api_version: created.api_version, object_id: subscription.id, stripe_created_at: new Date(created.created * 1000), payload: JSON.stringify(created) })
    .execute();

  await expect(processStripeEvent(story.db, created.id, { mode: 'job', attempt: 1, maxAttempts: 3 })).rejects.toThrow(/not in the database/);
  let row = await story.db.selectFrom('stripe_events').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
  expect(row).toMatchObject({ attempts: 1, parked_at: null, processed_at: null });
  expect(row.last_error).toContain('PledgeNotFoundError');

  const alert = vi.spyOn(logger, 'error');
  expect(await processStripeEvent(story.db, created.id, { mode: 'job', attempt: 3, maxAttempts: 3 })).toBe('parked');
  expect(alert).toHaveBeenCalledWith(expect.objectContaining({ event: 'stripe.event.parked', stripeEventId: created.id }), expect.any(String));
  alert.mockRestore();
  row = await story.db.selectFrom('stripe_events').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
  expect(row).toMatchObject({ attempts: 2, outcome: 'parked', processed_at: null });
  expect(row.parked_at).not.toBeNull();

  // The pledge shows up (say, restored from a backup): a replay applies the event.
  await story.db
    .insertInto('pledges')
    .values({ id: pledgeId, patron_id: pat.id, project_id: project.id, tier_id: tiers[0]!.id, interval: 'month', amount: 500, currency: 'eur', status: 'pending' })
    .execute();
  expect(await processStripeEvent(story.db, created.id, { mode: 'replay' })).toBe('applied');
  row = await story.db.selectFrom('stripe_events').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
  expect(row).toMatchObject({ outcome: 'applied', parked_at: null, last_error: null });
  expect(await story.pledgeRow(pledgeId)).toMatchObject({ status: 'active', stripe_subscription_id: subscription.id });
  await story.restartWorker();
});

test('npm run stripe:replay re-processes stored events by id and by time window, changing nothing that is right', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  const before = await pledgeState(pledgeId);
  const events = eventsOf(await story.eventsSince(0), pat.customerId);
  const paid = events.find((event) => event.type === 'invoice.paid')!;

  const replay = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      // Asynchronously: the sandbox the script talks to runs in this process.
      const child = spawn(process.execPath, ['scripts/stripe-replay.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'silent' } });
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += String(chunk)));
      child.on('close', (code) => resolve({ code, stdout }));
    });
  const byId = await replay(['--id', paid.id, '--id', 'evt_never_seen']);
  expect(byId.stdout).toContain(`✓ ${paid.id} invoice.paid → applied`);
  expect(byId.stdout).toContain('✗ evt_never_seen: not stored here');
  expect(byId.code).toBe(1);
  const createdAt = new Date(Math.min(...events.map((event) => event.created)) * 1000);
  const window = await replay(['--since', createdAt.toISOString()]);
  expect(window.code).toBe(0);
  expect(window.stdout).toMatch(/\d+ event\(s\) processed, 0 failed/);
  await story.settle();
  expect(await pledgeState(pledgeId)).toEqual(before);
});

test("a renewal's events waiting together cost Stripe one read of the invoice (with its subscription) and one of its payment", async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  const { current_period_end } = await story.pledgeRow(pledgeId);

  const reads = await drainBacklog(async () => {
    await renewWithoutSettling(pat, current_period_end);
    await story.sandbox.flushWebhooks();
    const waiting = await story.db.selectFrom('stripe_events').select('type').where('processed_at', 'is', null).execute();
    expect(waiting.map((row) => row.type)).toEqual(expect.arrayContaining(['customer.subscription.updated', 'invoice.paid', 'charge.succeeded']));
  });

  expect(reads.sort()).toEqual(['GET /v1/invoices/:id', 'GET /v1/payment_intents/:id']);
  const state = await pledgeState(pledgeId);
  expect(state.invoices.map((invoice) => [invoice.reason, invoice.status, invoice.paid, invoice.fee])).toEqual([
    ['subscription_create', 'paid', 500, 45],
    ['subscription_cycle', 'paid', 500, 45],
  ]);
  expect((await story.pledgeRow(pledgeId)).current_period_end!.getTime()).toBeGreaterThan(current_period_end!.getTime());
  await story.expectInvariants();
});

test("a wave of renewals waiting together is read as lists: a page of invoices and a page of charges, not two reads per renewal", async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const patrons: { pat: Patron; pledgeId: string; periodEnd: Date }[] = [];
  for (let i = 0; i < 12; i += 1) {
    const pat = await story.patron();
    const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
    patrons.push({ pat, pledgeId, periodEnd: (await story.pledgeRow(pledgeId)).current_period_end! });
  }
  const reads = await drainBacklog(async () => {
    for (const { pat, periodEnd } of patrons) await renewWithoutSettling(pat, periodEnd);
  });

  expect(reads.sort()).toEqual(['GET /v1/charges', 'GET /v1/invoices']);
  for (const { pledgeId, periodEnd } of patrons) {
    const state = await pledgeState(pledgeId);
    expect(state.invoices.map((invoice) => [invoice.reason, invoice.status, invoice.paid, invoice.fee])).toEqual([
      ['subscription_create', 'paid', 500, 45],
      ['subscription_cycle', 'paid', 500, 45],
    ]);
    expect((await story.pledgeRow(pledgeId)).current_period_end!.getTime()).toBeGreaterThan(periodEnd.getTime());
  }
  await story.expectInvariants();
});

test('a subscription event stored before our last read of that subscription needs no read of its own; a replay reads it again', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  const { current_period_end } = await story.pledgeRow(pledgeId);
  const { reads, record } = await stripeRequests();

  await story.worker.stop();
  try {
    await renewWithoutSettling(pat, current_period_end);
    await story.sandbox.flushWebhooks();
    const waiting = await story.db.selectFrom('stripe_events').select(['id', 'type']).where('processed_at', 'is', null).where('payload', 'like', `%${pat.customerId}%`).execute();
    const paid = waiting.find((row) => row.type === 'invoice.paid')!;
    const updated = waiting.find((row) => row.type === 'customer.subscription.updated')!;
    expect(paid && updated).toBeTruthy();

    record.start();
    // The invoice first, as the drain orders them: its refresh reads the subscription too.
    expect(await processStripeEvent(story.db, paid.id, { mode: 'job', attempt: 1, maxAttempts: 8 })).toBe('applied');
    expect(reads.sort()).toEqual(['GET /v1/invoices/:id', 'GET /v1/payment_intents/:id']);
    reads.length = 0;
    expect(await processStripeEvent(story.db, updated.id, { mode: 'job', attempt: 1, maxAttempts: 8 })).toBe('applied');
    expect(reads).toEqual([]);
    expect(await processStripeEvent(story.db, updated.id, { mode: 'replay' })).toBe('applied');
    expect(reads).toEqual(['GET /v1/subscriptions/:id']);
    record.stop();
  } finally {
    record.stop();
    await story.restartWorker();
  }
  await story.settle();
  expect((await story.pledgeRow(pledgeId)).current_period_end!.getTime()).toBeGreaterThan(current_period_end!.getTime());
  await story.expectInvariants();
});

test('a set of refreshes that fails as a whole is run refresh by refresh: one bad invoice costs only its own event a retry', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const [a, b] = [await story.patron(), await story.patron()];
  const pledgeA = await story.pledge(a, project.url, { tierId: tiers[0]!.id });
  const pledgeB = await story.pledge(b, project.url, { tierId: tiers[0]!.id });
  const endA = (await story.pledgeRow(pledgeA)).current_period_end!;
  const endB = (await story.pledgeRow(pledgeB)).current_period_end!;
  // A paid row for A's next period that Stripe knows nothing of: A's real renewal will collide with it.
  await story.db
    .insertInto('pledge_invoices')
    .values({ pledge_id: pledgeA, stripe_invoice_id: `in_conflict_${pledgeA.slice(0, 8)}`, status: 'paid', billing_reason: 'subscription_cycle', currency: 'eur', amount_due: 500, amount_paid: 500, period_start: endA })
    .execute();
  const warn = vi.spyOn(logger, 'warn');

  await story.worker.stop();
  try {
    for (const [pat, end] of [[a, endA], [b, endB]] as const) {
      await renewWithoutSettling(pat, end);
    }
    await story.sandbox.flushWebhooks();
  } finally {
    await story.restartWorker();
  }
  // Not story.settle(): it treats A's failed events as a broken test.
  const failedOfA = () =>
    story.db
      .selectFrom('stripe_events')
      .select(['id', 'type', 'attempts', 'last_error'])
      .where('payload', 'like', `%${a.customerId}%`)
      .where('processed_at', 'is', null)
      .where('attempts', '>', 0)
      .orderBy('type')
      .execute();
  await expect.poll(async () => (await failedOfA()).map((row) => row.type), { timeout: 15_000 }).toEqual(['charge.succeeded', 'customer.subscription.updated', 'invoice.paid']);
  await expect.poll(async () => (await story.invoiceRows(pledgeB)).length, { timeout: 15_000 }).toBe(2);
  expect(warn).toHaveBeenCalledWith(expect.objectContaining({ event: 'stripe.events.set_failed', set: 'invoice' }), expect.any(String));
  warn.mockRestore();

  // B renewed; A's invoice.paid waits for a retry with the reason, and nothing of it was posted.
  expect((await story.invoiceRows(pledgeB)).map((row) => [row.billing_reason, row.status])).toEqual([
    ['subscription_create', 'paid'],
    ['subscription_cycle', 'paid'],
  ]);
  const failed = await failedOfA();
  for (const event of failed) {
    expect(event.attempts).toBe(1);
    expect(event.last_error).toContain('pledge_invoices_one_paid_per_period');
  }
  // Only the sign-up's payment and fee are in A's ledger (the stray row itself breaks the invariants until removed).
  const ledgerOfA = async () => (await story.db.selectFrom('ledger_transactions').select('kind').where('pledge_id', '=', pledgeA).execute()).map((row) => row.kind).sort();
  expect(await ledgerOfA()).toEqual(['invoice_payment', 'stripe_fee']);

  // Once the stray row is gone, the retries apply A's renewal.
  await story.db.deleteFrom('pledge_invoices').where('stripe_invoice_id', '=', `in_conflict_${pledgeA.slice(0, 8)}`).execute();
  for (const event of failed) expect(await processStripeEvent(story.db, event.id, { mode: 'job', attempt: 2, maxAttempts: 8 })).toBe('applied');
  expect(await ledgerOfA()).toEqual(['invoice_payment', 'invoice_payment', 'stripe_fee', 'stripe_fee']);
  expect((await story.invoiceRows(pledgeA)).map((row) => [row.billing_reason, row.status])).toEqual([
    ['subscription_create', 'paid'],
    ['subscription_cycle', 'paid'],
  ]);
  await story.settle();
  await story.expectInvariants();
});
