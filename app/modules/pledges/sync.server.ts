import { sql, type Selectable } from 'kysely';
import type Stripe from 'stripe';
import type { Database, Executor } from '#app/core/db.server.ts';
import { env } from '#app/core/env.server.ts';
import { enqueueJob } from '#app/core/jobs.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { splitPayment } from '#app/modules/ledger/fees.ts';
import { postTransactions, type NewTransaction } from '#app/modules/ledger/ledger.server.ts';
import { invoicePaidTransaction, stripeFeeTransaction } from '#app/modules/ledger/postings.ts';
import { stripe } from '#app/modules/payments/stripe.server.ts';
import { mapLimit } from '#app/utils/map-limit.ts';
import type { PledgeInvoices, Pledges } from '#db/schema.ts';
import { isLive, pledgeStatusFor, resolveTerms, type PledgeStatus, type Terms } from './status.ts';
import { invoicePledgeRef, isUuid, pledgeRef, servicePeriod, type PledgeRef } from './stripe-objects.ts';

/**
 * The one way Stripe's state enters our pledge tables. Webhook handlers, the sync job and the
 * patron's own actions all come here. Every entry point locks the pledge rows first and only
 * then reads the objects from Stripe, so whoever applies last applied the newest state: any
 * number of copies of an event, in any order, concurrently, leave the same result.
 *
 * Refreshes come one at a time (a patron's action, a replay) or many at once (the event drain's
 * batches). Both go through the same set-based code: the pledges are locked in one statement,
 * Stripe is read with a few requests in flight, and each table is written with one statement
 * for the whole set, so a renewal wave costs a handful of statements per batch, not per renewal.
 */

/** Stripe reads in flight for one set of refreshes (each is ~ms of waiting on the network). */
const READ_PARALLEL = 8;

/** The pledge named by a Stripe object's metadata is not in our database (yet): retry later. */
export class PledgeNotFoundError extends Error {
  override name = 'PledgeNotFoundError';
}

export type SyncOutcome = 'applied' | 'not_ours';

/** Per refresh of a set: its outcome, or the error that refresh alone ran into (the others still apply). */
export type SetResult<Outcome = SyncOutcome> = Outcome | Error;

export type LockedPledge = Selectable<Pledges> & { maker_id: string };

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Locks the pledges for the rest of the caller's transaction, in id order so that concurrent lockers never deadlock. */
async function lockPledgeRows(trx: Executor, pledgeIds: string[]): Promise<Map<string, LockedPledge>> {
  const ids = [...new Set(pledgeIds)].sort();
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom('pledges')
    .innerJoin('projects', 'projects.id', 'pledges.project_id')
    .selectAll('pledges')
    .select('projects.maker_id')
    .where(sql<boolean>`pledges.id = any(${ids}::uuid[])`)
    .orderBy('pledges.id')
    .forUpdate('pledges')
    .execute();
  return new Map(rows.map((row) => [row.id, row]));
}

/** The locked pledge a Stripe object names: null when its project does not match ours (someone else's pledge); throws when unknown. */
function namedPledge(locked: Map<string, LockedPledge>, ref: PledgeRef): LockedPledge | null {
  const pledge = locked.get(ref.pledgeId);
  if (!pledge) throw new PledgeNotFoundError(`Pledge ${ref.pledgeId} named in Stripe metadata is not in the database`);
  if (ref.projectId && ref.projectId !== pledge.project_id) {
    logger.warn({ event: 'stripe.metadata.mismatch', pledgeId: ref.pledgeId, projectId: ref.projectId }, 'Stripe object names a pledge of another project');
    return null;
  }
  return pledge;
}

/**
 * Locks the pledge for the rest of the caller's transaction. Null when the object's project
 * does not match ours (it names someone else's pledge); throws when the pledge is unknown.
 */
export async function lockPledge(trx: Executor, ref: PledgeRef): Promise<LockedPledge | null> {
  return namedPledge(await lockPledgeRows(trx, [ref.pledgeId]), ref);
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

function date(seconds: number | null | undefined): Date | null {
  return seconds === null || seconds === undefined ? null : new Date(seconds * 1000);
}

/** One JSON parameter unpacked into typed rows: how a set is written in one statement. */
function recordset(rows: object[], columns: string) {
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(${sql.raw(columns)})`;
}

/** Runs `fn` over items with a few in flight, keeping each item's error to itself. */
async function eachRead<T>(items: T[], fn: (item: T) => Promise<void>, fail: (item: T, error: Error) => void): Promise<void> {
  await mapLimit(items, READ_PARALLEL, async (item) => {
    try {
      await fn(item);
    } catch (error) {
      fail(item, asError(error));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

export type SubscriptionChange = { pledge: LockedPledge; sub: Stripe.Subscription };

/**
 * The tier and amount Stripe bills for each change: the tier from our price table, or (custom
 * amounts) from metadata; two queries for the whole set.
 */
async function stripeTerms(db: Executor, changes: SubscriptionChange[]): Promise<Terms[]> {
  const items = changes.map(({ sub }) => sub.items.data[0]);
  const priceIds = [...new Set(items.flatMap((item) => (item ? [item.price.id] : [])))];
  const known = priceIds.length === 0 ? [] : await db
    .selectFrom('tier_prices')
    .innerJoin('tiers', 'tiers.id', 'tier_prices.tier_id')
    .select(['tier_prices.stripe_price_id', 'tier_prices.tier_id', 'tiers.project_id'])
    .where('tier_prices.stripe_price_id', 'in', priceIds)
    .execute();
  const byPrice = new Map(known.map((row) => [`${row.stripe_price_id} ${row.project_id}`, row.tier_id]));
  const metadataTiers = [...new Set(changes.flatMap(({ sub }) => (isUuid(sub.metadata?.tier_id) ? [sub.metadata.tier_id] : [])))];
  const unmatched = changes.some(({ pledge }, i) => items[i] && !byPrice.has(`${items[i].price.id} ${pledge.project_id}`));
  const tiers = unmatched && metadataTiers.length > 0 ? await db.selectFrom('tiers').select(['id', 'project_id']).where('id', 'in', metadataTiers).execute() : [];
  const tierProject = new Map(tiers.map((tier) => [tier.id, tier.project_id]));

  return changes.map(({ pledge, sub }, i) => {
    const item = items[i];
    if (!item) return { tierId: pledge.tier_id, amount: pledge.amount };
    const amount = (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
    const tierId = byPrice.get(`${item.price.id} ${pledge.project_id}`);
    if (tierId) return { tierId, amount };
    const metadataTier = sub.metadata?.tier_id;
    if (isUuid(metadataTier) && tierProject.get(metadataTier) === pledge.project_id) return { tierId: metadataTier, amount };
    logger.warn({ event: 'pledge.tier.unknown', pledgeId: pledge.id, priceId: item.price.id }, 'subscription price matches no tier; keeping the tier');
    return { tierId: pledge.tier_id, amount };
  });
}

/** What the pledge becomes with this subscription (pure). */
function pledgeState(pledge: LockedPledge, sub: Stripe.Subscription, stripe: Terms) {
  const item = sub.items.data[0];
  const status = pledgeStatusFor(sub.status);
  const periodStart = date(item?.current_period_start);
  const scheduled =
    pledge.scheduled_tier_id && pledge.scheduled_amount !== null && pledge.scheduled_change_at
      ? { tierId: pledge.scheduled_tier_id, amount: pledge.scheduled_amount, changeAt: pledge.scheduled_change_at }
      : null;
  const resolved = resolveTerms({ current: { tierId: pledge.tier_id, amount: pledge.amount }, scheduled, stripe, periodStart });
  const interval = item?.price.recurring?.interval;
  return {
    id: pledge.id,
    status,
    stripe_status: sub.status,
    stripe_subscription_id: sub.id,
    stripe_customer_id: idOf(sub.customer),
    stripe_price_id: item?.price.id ?? pledge.stripe_price_id,
    interval: interval === 'month' || interval === 'year' ? interval : pledge.interval,
    tier_id: resolved.terms.tierId,
    amount: resolved.terms.amount,
    scheduled_tier_id: resolved.scheduled?.tierId ?? null,
    scheduled_amount: resolved.scheduled?.amount ?? null,
    scheduled_change_at: resolved.scheduled?.changeAt ?? null,
    // Either way of asking Stripe to stop at a date counts: the portal may set cancel_at.
    cancel_at_period_end: sub.cancel_at_period_end || sub.cancel_at !== null,
    current_period_start: periodStart,
    current_period_end: date(item?.current_period_end),
    started_at: pledge.started_at ?? (status === 'active' || status === 'past_due' ? date(sub.start_date) : null),
    ended_at: date(sub.ended_at),
  };
}

const PLEDGE_COLUMNS =
  'id uuid, status text, stripe_status text, stripe_subscription_id text, stripe_customer_id text, stripe_price_id text, interval text, ' +
  'tier_id uuid, amount bigint, scheduled_tier_id uuid, scheduled_amount bigint, scheduled_change_at timestamptz, cancel_at_period_end boolean, ' +
  'current_period_start timestamptz, current_period_end timestamptz, started_at timestamptz, ended_at timestamptz';

/**
 * Applies subscriptions (as just read from Stripe, under this transaction's locks) to their
 * pledges, in one update. A pledge named twice gets the last of its reads. stripe_synced_at
 * records the transaction's start: every read applied here happened after it.
 */
export async function applySubscriptions(trx: Executor, changes: SubscriptionChange[]): Promise<SyncOutcome[]> {
  const outcomes: SyncOutcome[] = changes.map(({ pledge, sub }) => {
    if (!pledge.stripe_subscription_id || pledge.stripe_subscription_id === sub.id) return 'applied';
    logger.error({ event: 'pledge.subscription.conflict', pledgeId: pledge.id, known: pledge.stripe_subscription_id, other: sub.id }, 'a second subscription names this pledge');
    return 'not_ours';
  });
  const latest = new Map<string, SubscriptionChange>();
  changes.forEach((change, i) => outcomes[i] === 'applied' && latest.set(change.pledge.id, change));
  const applied = [...latest.values()];
  if (applied.length === 0) return outcomes;

  const terms = await stripeTerms(trx, applied);
  const rows = applied.map(({ pledge, sub }, i) => pledgeState(pledge, sub, terms[i] as Terms));
  await sql`
    update pledges set status = x.status, stripe_status = x.stripe_status, stripe_subscription_id = x.stripe_subscription_id,
      stripe_customer_id = x.stripe_customer_id, stripe_price_id = x.stripe_price_id, interval = x.interval, tier_id = x.tier_id,
      amount = x.amount, scheduled_tier_id = x.scheduled_tier_id, scheduled_amount = x.scheduled_amount,
      scheduled_change_at = x.scheduled_change_at, cancel_at_period_end = x.cancel_at_period_end,
      current_period_start = x.current_period_start, current_period_end = x.current_period_end, started_at = x.started_at,
      ended_at = x.ended_at, stripe_synced_at = now(), updated_at = now()
    from ${recordset(rows, PLEDGE_COLUMNS)}
    where pledges.id = x.id`.execute(trx);

  for (const [i, { pledge, sub }] of applied.entries()) {
    const status = (rows[i] as { status: PledgeStatus }).status;
    // Told once: the transition happens under the row lock, so exactly one transaction sees it.
    if (status === 'ended' && isLive(pledge.status)) {
      const reason = sub.status === 'unpaid' || sub.cancellation_details?.reason === 'payment_failed' ? 'payment_failed' : 'cancelled';
      await enqueueJob(trx, 'send_pledge_ended_email', { pledgeId: pledge.id, reason }, { jobKey: `pledge-ended:${pledge.id}` });
    }
    if (status !== pledge.status) {
      logger.info({ event: 'pledge.status', pledgeId: pledge.id, from: pledge.status, to: status, stripeStatus: sub.status }, 'pledge status changed');
    }
  }
  return outcomes;
}

/** Applies a subscription (as just read from Stripe) to its locked pledge. */
export async function applySubscription(trx: Executor, pledge: LockedPledge, sub: Stripe.Subscription): Promise<SyncOutcome> {
  return (await applySubscriptions(trx, [{ pledge, sub }]))[0] as SyncOutcome;
}

export type SubscriptionRefresh = {
  subscriptionId: string;
  ref: PledgeRef;
  /** When the event asking for it was stored: a read applied since then already holds what it reports. Null: always read. */
  receivedAt?: Date | null;
};

/** Reads subscriptions from Stripe under their pledges' locks and applies them, one result per refresh. */
export async function refreshSubscriptions(db: Database, wanted: SubscriptionRefresh[]): Promise<SetResult[]> {
  return db.transaction().execute(async (trx) => {
    const results: SetResult[] = new Array(wanted.length);
    const locked = await lockPledgeRows(trx, wanted.map((w) => w.ref.pledgeId));
    const reads: { i: number; change: SubscriptionChange }[] = [];
    await eachRead(
      [...wanted.keys()],
      async (i) => {
        const { subscriptionId, ref, receivedAt } = wanted[i] as SubscriptionRefresh;
        const pledge = namedPledge(locked, ref);
        if (!pledge) return void (results[i] = 'not_ours');
        const synced = pledge.stripe_synced_at;
        if (receivedAt && synced && synced > receivedAt && pledge.stripe_subscription_id === subscriptionId) return void (results[i] = 'applied');
        const sub = await stripe.subscriptions.retrieve(subscriptionId);
        if (pledgeRef(sub.metadata)?.pledgeId !== pledge.id) return void (results[i] = 'not_ours');
        reads.push({ i, change: { pledge, sub } });
      },
      (i, error) => (results[i] = error),
    );
    reads.sort((a, b) => a.i - b.i);
    const outcomes = await applySubscriptions(trx, reads.map((read) => read.change));
    reads.forEach((read, k) => (results[read.i] = outcomes[k] as SyncOutcome));
    return results;
  });
}

function single<Outcome>([result]: SetResult<Outcome>[]): Outcome {
  if (result instanceof Error) throw result;
  return result as Outcome;
}

/** Reads the subscription from Stripe under the pledge's lock and applies it. */
export async function refreshSubscription(db: Database, subscriptionId: string, ref: PledgeRef, receivedAt: Date | null = null): Promise<SyncOutcome> {
  return single(await refreshSubscriptions(db, [{ subscriptionId, ref, receivedAt }]));
}

// ---------------------------------------------------------------------------------------------
// Checkout Sessions

/** A completed session links its subscription; an expired one ends a pledge that never started. */
export async function refreshCheckoutSession(db: Database, sessionId: string, ref: PledgeRef): Promise<SyncOutcome> {
  return db.transaction().execute(async (trx) => {
    const pledge = await lockPledge(trx, ref);
    if (!pledge) return 'not_ours';
    const session = await stripe.checkout.sessions.retrieve(sessionId);
    if (pledgeRef(session.metadata)?.pledgeId !== pledge.id || session.mode !== 'subscription') return 'not_ours';
    if (!pledge.stripe_checkout_session_id) {
      await trx.updateTable('pledges').set({ stripe_checkout_session_id: session.id }).where('id', '=', pledge.id).execute();
    }
    const subscriptionId = idOf(session.subscription);
    if (subscriptionId) {
      const sub = await stripe.subscriptions.retrieve(subscriptionId);
      return applySubscription(trx, pledge, sub);
    }
    if (session.status === 'expired' && pledge.status === 'pending') {
      await trx.updateTable('pledges').set({ status: 'expired', updated_at: new Date() }).where('id', '=', pledge.id).execute();
      logger.info({ event: 'pledge.status', pledgeId: pledge.id, from: 'pending', to: 'expired' }, 'checkout expired');
    }
    return 'applied';
  });
}

// ---------------------------------------------------------------------------------------------
// Invoices

export type Payment = {
  /** The PaymentIntent's status: a renewal waiting for the patron (requires_payment_method|action) is a failure to tell them about. */
  intentStatus: Stripe.PaymentIntent.Status;
  charge: Stripe.Charge | null;
  balanceTransaction: Stripe.BalanceTransaction | null;
};

/** From one page of a list on, a set is read as lists rather than object by object. */
const LIST_FROM = 10;
const PAGE = 100;

/**
 * Stripe objects created in a window, read page by page one page ahead of the reader: while the
 * caller applies a page, the next is on its way. A renewal wave's invoices and charges were
 * created together, so their pages hold little else; a window crowded with other objects costs
 * at most the pages the wanted objects could fill, and one more. The caller reads whatever the
 * pages missed by id.
 */
type ListCall<T> = (params: Stripe.PaginationParams & { created: Stripe.RangeQueryParam; limit: number; expand: string[] }) => Stripe.ApiListPromise<T>;

class CreatedWindow<T extends { id?: string }> {
  private readonly list: ListCall<T>;
  private readonly window: Stripe.RangeQueryParam;
  private readonly expand: string[];
  private readonly maxPages: number;
  private next: Promise<Stripe.ApiList<T>> | null;
  private pages = 0;

  constructor(list: ListCall<T>, window: Stripe.RangeQueryParam, expand: string[], expected: number) {
    this.list = list;
    this.window = window;
    this.expand = expand;
    this.maxPages = Math.ceil(expected / PAGE) + 1;
    this.next = this.request();
  }

  private request(startingAfter?: string): Promise<Stripe.ApiList<T>> {
    this.pages += 1;
    const page = Promise.resolve(this.list({ created: this.window, limit: PAGE, expand: this.expand, ...(startingAfter ? { starting_after: startingAfter } : {}) }));
    page.catch(() => {}); // a page asked for ahead and never read must not crash the process
    return page;
  }

  /** The next page, or null when the list or its page budget is spent. Throws when Stripe fails. */
  async page(): Promise<T[] | null> {
    if (!this.next) return null;
    const { data, has_more: hasMore } = await this.next;
    const last = data.at(-1)?.id;
    this.next = hasMore && last && this.pages < this.maxPages ? this.request(last) : null;
    return data;
  }

  stop(): void {
    this.next = null;
  }
}

function listFailed(what: string, error: unknown): void {
  logger.warn({ event: 'stripe.list_failed', what, error: String(error) }, 'listing failed; reading object by object');
}

const INVOICE_EXPAND = ['payments', 'parent.subscription_details.subscription'];

/** The invoices of a set whose creation times the events told us, as a list (null: read each by id). */
function listInvoices(wanted: InvoiceRefresh[]): CreatedWindow<Stripe.Invoice> | null {
  const created = wanted.flatMap((w) => (w.created === undefined ? [] : [w.created]));
  if (wanted.length < LIST_FROM || created.length < wanted.length) return null;
  const window = { gte: Math.min(...created), lte: Math.max(...created) };
  return new CreatedWindow((params) => stripe.invoices.list(params), window, INVOICE_EXPAND.map((path) => `data.${path}`), wanted.length);
}

function paymentIntentOf(invoice: Stripe.Invoice, payments: Stripe.InvoicePayment[] | undefined = invoice.payments?.data): string | null {
  const chosen = payments?.find((payment) => payment.status === 'paid') ?? payments?.find((payment) => payment.is_default);
  return idOf(chosen?.payment.payment_intent);
}

/** A paid invoice's succeeded charge (balance transaction expanded), by PaymentIntent, if a list has it. */
type ChargeFinder = (paymentIntentId: string) => Promise<Stripe.Charge | undefined>;

/**
 * The succeeded charges of a set's paid invoices, listed alongside the invoices and pulled page
 * by page as payments ask for them. The window comes from the events: a charge that paid an
 * invoice was created after the invoice and by the time it was paid.
 */
function listCharges(wanted: InvoiceRefresh[]): ChargeFinder {
  const paid = wanted.filter((w) => w.created !== undefined && w.paidAt);
  if (paid.length < LIST_FROM) return async () => undefined;
  const window = { gte: Math.min(...paid.map((w) => w.created as number)), lte: Math.max(...paid.map((w) => w.paidAt as number)) };
  const list = new CreatedWindow((params) => stripe.charges.list(params), window, ['data.balance_transaction'], paid.length);
  const byIntent = new Map<string, Stripe.Charge>();
  let done = false;
  let pulling: Promise<void> | null = null;
  const pull = async () => {
    try {
      const page = await list.page();
      if (!page) done = true;
      for (const charge of page ?? []) {
        const intent = idOf(charge.payment_intent);
        if (intent && charge.status === 'succeeded') byIntent.set(intent, charge);
      }
    } catch (error) {
      listFailed('charges', error);
      done = true;
    } finally {
      pulling = null;
    }
  };
  return async (paymentIntentId) => {
    while (!byIntent.has(paymentIntentId) && !done) await (pulling ??= pull());
    return byIntent.get(paymentIntentId);
  };
}

/**
 * invoice → its default InvoicePayment → PaymentIntent → latest charge → balance transaction. A
 * paid invoice's charge may already be in hand from a list of the set's charges.
 */
async function paymentOf(invoice: Stripe.Invoice, listed: ChargeFinder): Promise<Payment | null> {
  const payments = invoice.payments?.data ?? (await stripe.invoicePayments.list({ invoice: invoice.id as string, limit: 10 })).data;
  const paymentIntentId = paymentIntentOf(invoice, payments);
  if (!paymentIntentId) return null;
  const charge = invoice.status === 'paid' ? await listed(paymentIntentId) : undefined;
  if (charge) return { intentStatus: 'succeeded', charge, balanceTransaction: expanded(charge.balance_transaction) };
  const paymentIntent = await stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge.balance_transaction'] });
  const latest = expanded(paymentIntent.latest_charge);
  return { intentStatus: paymentIntent.status, charge: latest, balanceTransaction: expanded(latest?.balance_transaction) };
}

function expanded<T extends { id: string }>(value: string | T | null | undefined): T | null {
  return value && typeof value === 'object' ? value : null;
}

export type InvoiceChange = { pledge: LockedPledge; invoice: Stripe.Invoice; payment: Payment | null; pledgeStatus: PledgeStatus };

/** The pledge_invoices columns an invoice sets (pure). */
function invoiceValues({ invoice, payment }: InvoiceChange) {
  const period = servicePeriod(invoice);
  return {
    status: invoice.status ?? 'draft',
    number: invoice.number,
    billing_reason: invoice.billing_reason,
    currency: invoice.currency,
    amount_due: invoice.amount_due,
    amount_paid: invoice.amount_paid,
    period_start: period?.start ?? null,
    period_end: period?.end ?? null,
    attempt_count: invoice.attempt_count,
    next_payment_attempt: date(invoice.next_payment_attempt),
    hosted_invoice_url: invoice.hosted_invoice_url ?? null,
    stripe_charge_id: payment?.charge?.id ?? null,
    stripe_balance_transaction_id: payment?.balanceTransaction?.id ?? null,
    paid_at: date(invoice.status_transitions.paid_at),
    updated_at: new Date(),
  };
}

const INVOICE_COLUMNS =
  'pledge_id uuid, stripe_invoice_id text, platform_fee_basis_points integer, status text, number text, billing_reason text, currency text, ' +
  'amount_due bigint, amount_paid bigint, period_start timestamptz, period_end timestamptz, attempt_count integer, next_payment_attempt timestamptz, ' +
  'hosted_invoice_url text, stripe_charge_id text, stripe_balance_transaction_id text, paid_at timestamptz, updated_at timestamptz';
const INVOICE_COLUMN_NAMES = INVOICE_COLUMNS.split(', ').map((column) => column.split(' ')[0]) as (keyof PledgeInvoices)[];

const FEE_COLUMNS = 'id uuid, stripe_fee bigint, platform_fee bigint, maker_net bigint, platform_fee_basis_points integer';

/**
 * Applies invoices (as just read from Stripe, under this transaction's pledge locks): the
 * pledge_invoices rows, the ledger for paid invoices (payment now, Stripe's fee once its
 * balance transaction exists), the fee breakdown, and the emails that follow from it. Each
 * table gets one statement for the whole set. Idempotent.
 */
export async function applyInvoices(trx: Executor, changes: InvoiceChange[]): Promise<void> {
  const byInvoice = new Map(changes.map((change) => [change.invoice.id as string, change]));
  if (byInvoice.size === 0) return;
  const unique = [...byInvoice.values()];
  const basisPointsNow = env().PLATFORM_FEE_BASIS_POINTS;
  const values = unique.map((change) => ({ ...invoiceValues(change), pledge_id: change.pledge.id, stripe_invoice_id: change.invoice.id as string, platform_fee_basis_points: basisPointsNow }));
  const rows = await trx
    .insertInto('pledge_invoices')
    .columns(INVOICE_COLUMN_NAMES)
    .expression(sql`select ${sql.join(INVOICE_COLUMN_NAMES.map((column) => sql.ref(`x.${column}`)))} from ${recordset(values, INVOICE_COLUMNS)}`)
    .onConflict((oc) =>
      oc.column('stripe_invoice_id').doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        number: eb.ref('excluded.number'),
        billing_reason: eb.ref('excluded.billing_reason'),
        currency: eb.ref('excluded.currency'),
        amount_due: eb.ref('excluded.amount_due'),
        amount_paid: eb.ref('excluded.amount_paid'),
        period_start: eb.ref('excluded.period_start'),
        period_end: eb.ref('excluded.period_end'),
        attempt_count: eb.ref('excluded.attempt_count'),
        next_payment_attempt: eb.ref('excluded.next_payment_attempt'),
        hosted_invoice_url: eb.ref('excluded.hosted_invoice_url'),
        paid_at: eb.ref('excluded.paid_at'),
        updated_at: eb.ref('excluded.updated_at'),
        // Once known, the charge and its balance transaction stay known.
        stripe_charge_id: eb.fn.coalesce('excluded.stripe_charge_id', 'pledge_invoices.stripe_charge_id'),
        stripe_balance_transaction_id: eb.fn.coalesce('excluded.stripe_balance_transaction_id', 'pledge_invoices.stripe_balance_transaction_id'),
      })),
    )
    .returning(['id', 'stripe_invoice_id', 'platform_fee_basis_points', 'receipt_sent_at', 'notified_attempt'])
    .execute();
  const rowOf = new Map(rows.map((row) => [row.stripe_invoice_id, row]));

  const transactions: NewTransaction[] = [];
  const fees: { id: string; stripe_fee: number; platform_fee: number; maker_net: number; platform_fee_basis_points: number }[] = [];
  const receipts: string[] = [];
  for (const change of unique) {
    const { pledge, invoice, payment } = change;
    const invoiceId = invoice.id as string;
    const row = rowOf.get(invoiceId);
    if (!row) throw new Error(`pledge_invoices row of ${invoiceId} was not returned`);

    if (invoice.status === 'paid' && invoice.amount_paid > 0) {
      const basisPoints = row.platform_fee_basis_points ?? basisPointsNow;
      const common = { currency: invoice.currency, makerId: pledge.maker_id, pledgeId: pledge.id, projectId: pledge.project_id };
      const paidAt = date(invoice.status_transitions.paid_at);
      transactions.push(invoicePaidTransaction({ ...common, invoiceId, gross: invoice.amount_paid, platformFeeBasisPoints: basisPoints, occurredAt: paidAt ?? new Date() }));
      const bt = payment?.balanceTransaction;
      if (bt && bt.currency !== invoice.currency) {
        // Settlement in another currency needs conversion entries the ledger does not have yet.
        logger.error({ event: 'ledger.fee.currency', invoiceId, chargeCurrency: invoice.currency, feeCurrency: bt.currency }, 'Stripe fee in a different currency; not posted');
      } else if (bt) {
        if (bt.fee > 0) transactions.push(stripeFeeTransaction({ ...common, balanceTransactionId: bt.id, fee: bt.fee, occurredAt: new Date(bt.created * 1000), invoiceId }));
        const split = splitPayment({ gross: invoice.amount_paid, stripeFee: bt.fee, platformFeeBasisPoints: basisPoints });
        fees.push({ id: row.id, stripe_fee: split.stripeFee, platform_fee: split.platformFee, maker_net: split.makerNet, platform_fee_basis_points: basisPoints });
        // The receipt shows the whole breakdown, so it waits for Stripe's fee; the job sends it once.
        if (!row.receipt_sent_at) receipts.push(row.id);
      }
      continue;
    }
    await notifyPaymentProblem(trx, change, row);
  }

  await postTransactions(trx, transactions);
  if (fees.length > 0) {
    await sql`
      update pledge_invoices set stripe_fee = x.stripe_fee, platform_fee = x.platform_fee, maker_net = x.maker_net,
        platform_fee_basis_points = x.platform_fee_basis_points
      from ${recordset(fees, FEE_COLUMNS)}
      where pledge_invoices.id = x.id`.execute(trx);
  }
  // One job for all receipts queued while it waits (graphile-worker merges array payloads of a job key).
  if (receipts.length > 0) await enqueueJob(trx, 'send_pledge_receipts', receipts.map((id) => ({ pledgeInvoiceId: id })), { jobKey: 'pledge-receipts' });
}

/**
 * A renewal that did not go through: tell the patron once per attempt, while there is still
 * something to fix (once Stripe gives up, the pledge-ended email says so instead). Only a
 * payment that is waiting for the patron counts: an open invoice whose payment is still
 * processing or has just succeeded is not a failure.
 */
async function notifyPaymentProblem(trx: Executor, { invoice, payment, pledgeStatus }: InvoiceChange, row: { id: string; notified_attempt: number }): Promise<void> {
  const intent = payment?.intentStatus;
  if (
    invoice.status === 'open' &&
    invoice.billing_reason !== 'subscription_create' &&
    (intent === 'requires_payment_method' || intent === 'requires_action') &&
    invoice.attempt_count > row.notified_attempt &&
    isLive(pledgeStatus)
  ) {
    const kind = intent === 'requires_action' ? 'action_required' : 'failed';
    await trx.updateTable('pledge_invoices').set({ notified_attempt: invoice.attempt_count }).where('id', '=', row.id).execute();
    await enqueueJob(trx, 'send_payment_problem_email', { pledgeInvoiceId: row.id, attempt: invoice.attempt_count, kind });
  }
}

/** Applies one invoice (as just read from Stripe) to its locked pledge; see applyInvoices. */
export async function applyInvoice(trx: Executor, pledge: LockedPledge, invoice: Stripe.Invoice, payment: Payment | null, pledgeStatus: PledgeStatus): Promise<void> {
  await applyInvoices(trx, [{ pledge, invoice, payment, pledgeStatus }]);
}

export type InvoiceRefresh = {
  invoiceId: string;
  ref: PledgeRef;
  /** When Stripe created the invoice (it never changes), if an event told us: lets a set be read as lists. */
  created?: number;
  /** When it was paid, if the event's copy was paid: where to look for its charge. */
  paidAt?: number | null;
};

/**
 * Reads invoices (each with its subscription expanded) and their payments from Stripe under
 * their pledges' locks, and applies them: the subscriptions first (an invoice.paid may be the
 * first we hear of a pledge's subscription), then the invoices. A listed set is applied page by
 * page while the next page is read. One result per refresh.
 */
export async function refreshInvoices(db: Database, wanted: InvoiceRefresh[]): Promise<SetResult[]> {
  return db.transaction().execute(async (trx) => {
    const results: SetResult[] = new Array(wanted.length);
    const locked = await lockPledgeRows(trx, wanted.map((w) => w.ref.pledgeId));
    const invoices = listInvoices(wanted);
    const charges = listCharges(wanted);

    type Read = { i: number; pledge: LockedPledge; invoice: Stripe.Invoice; sub: Stripe.Subscription; payment?: Payment | null };
    const apply = async (chunk: { i: number; invoice: Stripe.Invoice }[]) => {
      const reads: Read[] = [];
      for (const { i, invoice } of chunk) {
        const sub = invoice.parent?.subscription_details?.subscription;
        const pledge = namedPledge(locked, (wanted[i] as InvoiceRefresh).ref); // checked before the read: cannot throw here
        if (!pledge || invoicePledgeRef(invoice)?.pledgeId !== pledge.id || !sub || typeof sub === 'string') results[i] = 'not_ours';
        else reads.push({ i, pledge, invoice, sub });
      }
      const subscriptions = await applySubscriptions(trx, reads.map(({ pledge, sub }) => ({ pledge, sub })));
      const current: Read[] = [];
      reads.forEach((read, k) => {
        if (subscriptions[k] === 'applied') current.push(read);
        else results[read.i] = 'not_ours';
      });
      await eachRead(
        current,
        async (read) => void (read.payment = read.invoice.status === 'draft' ? null : await paymentOf(read.invoice, charges)),
        (read, error) => (results[read.i] = error),
      );
      const paid = current.filter((read) => read.payment !== undefined);
      await applyInvoices(trx, paid.map(({ pledge, invoice, sub, payment }) => ({ pledge, invoice, payment: payment ?? null, pledgeStatus: pledgeStatusFor(sub.status) })));
      for (const read of paid) results[read.i] = 'applied';
    };

    // Pledges we don't have, or someone else's, need no read.
    const pending = new Set<number>();
    wanted.forEach(({ ref }, i) => {
      try {
        if (namedPledge(locked, ref)) pending.add(i);
        else results[i] = 'not_ours';
      } catch (error) {
        results[i] = asError(error);
      }
    });
    const waiting = new Map<string, number[]>();
    for (const i of pending) waiting.set((wanted[i] as InvoiceRefresh).invoiceId, [...(waiting.get((wanted[i] as InvoiceRefresh).invoiceId) ?? []), i]);
    while (invoices && pending.size > 0) {
      let page: Stripe.Invoice[] | null;
      try {
        page = await invoices.page();
      } catch (error) {
        listFailed('invoices', error);
        break;
      }
      if (!page) break;
      const chunk = page.flatMap((invoice) => (waiting.get(invoice.id as string) ?? []).filter((i) => pending.delete(i)).map((i) => ({ i, invoice })));
      if (pending.size === 0) invoices.stop();
      if (chunk.length > 0) await apply(chunk);
    }

    // Whatever no page held is read by id.
    const rest: { i: number; invoice: Stripe.Invoice }[] = [];
    await eachRead(
      [...pending],
      async (i) => void rest.push({ i, invoice: await stripe.invoices.retrieve((wanted[i] as InvoiceRefresh).invoiceId, { expand: INVOICE_EXPAND }) }),
      (i, error) => (results[i] = error),
    );
    await apply(rest.sort((a, b) => a.i - b.i));
    return results;
  });
}

/** Reads the invoice (its subscription expanded) and its payment from Stripe under the pledge's lock, and applies them. */
export async function refreshInvoice(db: Database, invoiceId: string, ref: PledgeRef): Promise<SyncOutcome> {
  return single(await refreshInvoices(db, [{ invoiceId, ref }]));
}

export type ChargeRefresh = { chargeId: string; paymentIntentId: string };

/**
 * A charge of a subscription invoice carries no metadata. Its invoice is in our table once a
 * refresh has recorded the charge; that refresh read the charge's balance transaction too, and
 * once recorded a balance transaction never changes, so a known fee leaves nothing to do (one
 * query answers a whole set). Otherwise the invoice is found at Stripe through its InvoicePayment.
 */
export async function refreshInvoicesOfCharges(db: Database, wanted: ChargeRefresh[]): Promise<SetResult<SyncOutcome | 'ignored'>[]> {
  const chargeIds = [...new Set(wanted.map((w) => w.chargeId))];
  const known = chargeIds.length === 0 ? [] : await db
    .selectFrom('pledge_invoices')
    .select(['pledge_id', 'stripe_invoice_id', 'stripe_charge_id', 'stripe_balance_transaction_id', 'stripe_fee'])
    .where(sql<boolean>`stripe_charge_id = any(${chargeIds}::text[])`)
    .execute();
  const byCharge = new Map(known.map((row) => [row.stripe_charge_id as string, row]));
  const results: SetResult<SyncOutcome | 'ignored'>[] = new Array(wanted.length);
  await eachRead(
    [...wanted.keys()],
    async (i) => {
      const { chargeId, paymentIntentId } = wanted[i] as ChargeRefresh;
      const row = byCharge.get(chargeId);
      if (row?.stripe_balance_transaction_id && row.stripe_fee !== null) return void (results[i] = 'applied');
      if (row) return void (results[i] = await refreshInvoice(db, row.stripe_invoice_id, { pledgeId: row.pledge_id, projectId: null }));
      const payments = await stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: paymentIntentId }, limit: 1 });
      const invoiceId = idOf(payments.data[0]?.invoice);
      if (!invoiceId) return void (results[i] = 'ignored');
      const invoice = await stripe.invoices.retrieve(invoiceId);
      const ref = invoicePledgeRef(invoice);
      results[i] = ref ? await refreshInvoice(db, invoiceId, ref) : 'not_ours';
    },
    (i, error) => (results[i] = error),
  );
  return results;
}

export async function refreshInvoiceOfCharge(db: Database, chargeId: string, paymentIntentId: string): Promise<SyncOutcome | 'ignored'> {
  return single(await refreshInvoicesOfCharges(db, [{ chargeId, paymentIntentId }]));
}
