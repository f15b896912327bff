import type { Selectable } from 'kysely';
import type Stripe from 'stripe';
import type { Database, Executor } from '#app/core/db.server.ts';
import { env } from '#app/core/env.server.ts';
import { enqueueJob } from '#app/core/jobs.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { splitPayment } from '#app/modules/ledger/fees.ts';
import { postTransaction } from '#app/modules/ledger/ledger.server.ts';
import { invoicePaidTransaction, stripeFeeTransaction } from '#app/modules/ledger/postings.ts';
import { stripe } from '#app/modules/payments/stripe.server.ts';
import type { Pledges } from '#db/schema.ts';
import { isLive, pledgeStatusFor, resolveTerms, type PledgeStatus, type Terms } from './status.ts';
import { invoicePledgeRef, isUuid, pledgeRef, servicePeriod, type PledgeRef } from './stripe-objects.ts';

/**
 * The one way Stripe's state enters our pledge tables. Webhook handlers, the sync job and the
 * patron's own actions all come here. Every entry point locks the pledge row first and only
 * then reads the object from Stripe, so whoever applies last applied the newest state: any
 * number of copies of an event, in any order, concurrently, leave the same result.
 */

/** The pledge named by a Stripe object's metadata is not in our database (yet): retry later. */
export class PledgeNotFoundError extends Error {
  override name = 'PledgeNotFoundError';
}

export type SyncOutcome = 'applied' | 'not_ours';

export type LockedPledge = Selectable<Pledges> & { maker_id: string };

/**
 * Locks the pledge for the rest of the caller's transaction. Null when the object's project
 * does not match ours (it names someone else's pledge); throws when the pledge is unknown.
 */
export async function lockPledge(trx: Executor, ref: PledgeRef): Promise<LockedPledge | null> {
  const pledge = await trx
    .selectFrom('pledges')
    .innerJoin('projects', 'projects.id', 'pledges.project_id')
    .selectAll('pledges')
    .select('projects.maker_id')
    .where('pledges.id', '=', ref.pledgeId)
    .forUpdate('pledges')
    .executeTakeFirst();
  if (!pledge) throw new PledgeNotFoundError(`Pledge ${ref.pledgeId} named in Stripe metadata is not in the database`);
  if (ref.projectId && ref.projectId !== pledge.project_id) {
    logger.warn({ event: 'stripe.metadata.mismatch', pledgeId: ref.pledgeId, projectId: ref.projectId }, 'Stripe object names a pledge of another project');
    return null;
  }
  return pledge;
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

function date(seconds: number | null | undefined): Date | null {
  return seconds === null || seconds === undefined ? null : new Date(seconds * 1000);
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

/** The tier and amount Stripe bills: the tier from our price table, or (custom amounts) from metadata. */
async function stripeTerms(db: Executor, pledge: LockedPledge, sub: Stripe.Subscription, item: Stripe.SubscriptionItem): Promise<Terms> {
  const amount = (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
  const known = await db
    .selectFrom('tier_prices')
    .innerJoin('tiers', 'tiers.id', 'tier_prices.tier_id')
    .select('tier_prices.tier_id')
    .where('tier_prices.stripe_price_id', '=', item.price.id)
    .where('tiers.project_id', '=', pledge.project_id)
    .executeTakeFirst();
  if (known) return { tierId: known.tier_id, amount };
  const metadataTier = sub.metadata?.tier_id;
  if (isUuid(metadataTier)) {
    const tier = await db.selectFrom('tiers').select('id').where('id', '=', metadataTier).where('project_id', '=', pledge.project_id).executeTakeFirst();
    if (tier) return { tierId: tier.id, amount };
  }
  logger.warn({ event: 'pledge.tier.unknown', pledgeId: pledge.id, priceId: item.price.id }, 'subscription price matches no tier; keeping the tier');
  return { tierId: pledge.tier_id, amount };
}

/** Applies a subscription (as just read from Stripe) to its locked pledge. */
export async function applySubscription(trx: Executor, pledge: LockedPledge, sub: Stripe.Subscription): Promise<SyncOutcome> {
  if (pledge.stripe_subscription_id && pledge.stripe_subscription_id !== sub.id) {
    logger.error({ event: 'pledge.subscription.conflict', pledgeId: pledge.id, known: pledge.stripe_subscription_id, other: sub.id }, 'a second subscription names this pledge');
    return 'not_ours';
  }
  const item = sub.items.data[0];
  const status = pledgeStatusFor(sub.status);
  const current = { tierId: pledge.tier_id, amount: pledge.amount };
  const stripe = item ? await stripeTerms(trx, pledge, sub, item) : current;
  const periodStart = date(item?.current_period_start);
  const scheduled =
    pledge.scheduled_tier_id && pledge.scheduled_amount !== null && pledge.scheduled_change_at
      ? { tierId: pledge.scheduled_tier_id, amount: pledge.scheduled_amount, changeAt: pledge.scheduled_change_at }
      : null;
  const resolved = resolveTerms({ current, scheduled, stripe, periodStart });
  const interval = item?.price.recurring?.interval;
  await trx
    .updateTable('pledges')
    .set({
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
      updated_at: new Date(),
    })
    .where('id', '=', pledge.id)
    .execute();

  // Told once: the transition happens under the row lock, so exactly one transaction sees it.
  if (status === 'ended' && isLive(pledge.status)) {
    const reason = sub.status === 'unpaid' || sub.cancellation_details?.reason === 'payment_failed' ? 'payment_failed' : 'cancelled';
    await enqueueJob(trx, 'send_pledge_ended_email', { pledgeId: pledge.id, reason }, { jobKey: `pledge-ended:${pledge.id}` });
  }
  if (status !== pledge.status) {
    logger.info({ event: 'pledge.status', pledgeId: pledge.id, from: pledge.status, to: status, stripeStatus: sub.status }, 'pledge status changed');
  }
  return 'applied';
}

/** Reads the subscription from Stripe under the pledge's lock and applies it. */
export async function refreshSubscription(db: Database, subscriptionId: string, ref: PledgeRef): Promise<SyncOutcome> {
  return db.transaction().execute(async (trx) => {
    const pledge = await lockPledge(trx, ref);
    if (!pledge) return 'not_ours';
    const sub = await stripe.subscriptions.retrieve(subscriptionId);
    if (pledgeRef(sub.metadata)?.pledgeId !== pledge.id) return 'not_ours';
    return applySubscription(trx, pledge, sub);
  });
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
  paymentIntent: Stripe.PaymentIntent;
  charge: Stripe.Charge | null;
  balanceTransaction: Stripe.BalanceTransaction | null;
};

/** invoice → its default InvoicePayment → PaymentIntent → latest charge → balance transaction. */
async function paymentOf(invoice: Stripe.Invoice): Promise<Payment | null> {
  const payments = invoice.payments?.data ?? (await stripe.invoicePayments.list({ invoice: invoice.id as string, limit: 10 })).data;
  const chosen = payments.find((payment) => payment.status === 'paid') ?? payments.find((payment) => payment.is_default);
  const paymentIntentId = idOf(chosen?.payment.payment_intent);
  if (!paymentIntentId) return null;
  const paymentIntent = await stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge.balance_transaction'] });
  const charge = paymentIntent.latest_charge && typeof paymentIntent.latest_charge === 'object' ? paymentIntent.latest_charge : null;
  const balanceTransaction = charge?.balance_transaction && typeof charge.balance_transaction === 'object' ? charge.balance_transaction : null;
  return { paymentIntent, charge, balanceTransaction };
}

/**
 * Applies an invoice (as just read from Stripe) to its locked pledge: the pledge_invoices row,
 * the ledger for a paid invoice (payment now, Stripe's fee once its balance transaction
 * exists), the fee breakdown, and the emails that follow from it. Idempotent.
 */
export async function applyInvoice(trx: Executor, pledge: LockedPledge, invoice: Stripe.Invoice, payment: Payment | null, pledgeStatus: PledgeStatus): Promise<void> {
  const invoiceId = invoice.id as string;
  const period = servicePeriod(invoice);
  const paidAt = date(invoice.status_transitions.paid_at);
  const values = {
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
    paid_at: paidAt,
    updated_at: new Date(),
  };
  const row = await trx
    .insertInto('pledge_invoices')
    .values({ ...values, pledge_id: pledge.id, stripe_invoice_id: invoiceId, platform_fee_basis_points: env().PLATFORM_FEE_BASIS_POINTS })
    .onConflict((oc) =>
      oc.column('stripe_invoice_id').doUpdateSet((eb) => ({
        ...values,
        // Once known, the charge and its balance transaction stay known.
        stripe_charge_id: eb.fn.coalesce('excluded.stripe_charge_id', 'pledge_invoices.stripe_charge_id'),
        stripe_balance_transaction_id: eb.fn.coalesce('excluded.stripe_balance_transaction_id', 'pledge_invoices.stripe_balance_transaction_id'),
      })),
    )
    .returning(['id', 'platform_fee_basis_points', 'stripe_fee', 'receipt_sent_at', 'notified_attempt'])
    .executeTakeFirstOrThrow();

  if (invoice.status === 'paid' && invoice.amount_paid > 0) {
    const basisPoints = row.platform_fee_basis_points ?? env().PLATFORM_FEE_BASIS_POINTS;
    const common = { currency: invoice.currency, makerId: pledge.maker_id, pledgeId: pledge.id, projectId: pledge.project_id };
    await postTransaction(
      trx,
      invoicePaidTransaction({ ...common, invoiceId, gross: invoice.amount_paid, platformFeeBasisPoints: basisPoints, occurredAt: paidAt ?? new Date() }),
    );
    const bt = payment?.balanceTransaction;
    if (bt && bt.currency !== invoice.currency) {
      // Settlement in another currency needs conversion entries the ledger does not have yet.
      logger.error({ event: 'ledger.fee.currency', invoiceId, chargeCurrency: invoice.currency, feeCurrency: bt.currency }, 'Stripe fee in a different currency; not posted');
    } else if (bt) {
      if (bt.fee > 0) {
        await postTransaction(
          trx,
          stripeFeeTransaction({ ...common, balanceTransactionId: bt.id, fee: bt.fee, occurredAt: new Date(bt.created * 1000), invoiceId }),
        );
      }
      const split = splitPayment({ gross: invoice.amount_paid, stripeFee: bt.fee, platformFeeBasisPoints: basisPoints });
      await trx
        .updateTable('pledge_invoices')
        .set({ stripe_fee: split.stripeFee, platform_fee: split.platformFee, maker_net: split.makerNet, platform_fee_basis_points: basisPoints })
        .where('id', '=', row.id)
        .execute();
      // The receipt shows the whole breakdown, so it waits for Stripe's fee; the job sends it once.
      if (!row.receipt_sent_at) await enqueueJob(trx, 'send_pledge_receipt', { pledgeInvoiceId: row.id }, { jobKey: `receipt:${row.id}` });
    }
    return;
  }

  // A renewal that did not go through: tell the patron once per attempt, while there is still
  // something to fix (once Stripe gives up, the pledge-ended email says so instead). Only a
  // payment that is waiting for the patron counts: an open invoice whose payment is still
  // processing or has just succeeded is not a failure.
  const intent = payment?.paymentIntent.status;
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

/** Reads the invoice (its subscription expanded) and its payment from Stripe under the pledge's lock, and applies them. */
export async function refreshInvoice(db: Database, invoiceId: string, ref: PledgeRef): Promise<SyncOutcome> {
  return db.transaction().execute(async (trx) => {
    const pledge = await lockPledge(trx, ref);
    if (!pledge) return 'not_ours';
    const invoice = await stripe.invoices.retrieve(invoiceId, { expand: ['payments', 'parent.subscription_details.subscription'] });
    if (invoicePledgeRef(invoice)?.pledgeId !== pledge.id) return 'not_ours';
    // The subscription first: an invoice.paid may be the first we hear of the pledge's subscription.
    const sub = invoice.parent?.subscription_details?.subscription;
    if (!sub || typeof sub === 'string') return 'not_ours';
    if ((await applySubscription(trx, pledge, sub)) === 'not_ours') return 'not_ours';
    const payment = invoice.status === 'draft' ? null : await paymentOf(invoice);
    await applyInvoice(trx, pledge, invoice, payment, pledgeStatusFor(sub.status));
    return 'applied';
  });
}

/**
 * A charge of a subscription invoice carries no metadata. Its invoice is in our table once a
 * refresh has recorded the charge; that refresh read the charge's balance transaction too, and
 * once recorded a balance transaction never changes, so a known fee leaves nothing to do.
 * Otherwise the invoice is found at Stripe through its InvoicePayment.
 */
export async function refreshInvoiceOfCharge(db: Database, chargeId: string, paymentIntentId: string): Promise<SyncOutcome | 'ignored'> {
  const known = await db
    .selectFrom('pledge_invoices')
    .select(['pledge_id', 'stripe_invoice_id', 'stripe_balance_transaction_id', 'stripe_fee'])
    .where('stripe_charge_id', '=', chargeId)
    .executeTakeFirst();
  if (known?.stripe_balance_transaction_id && known.stripe_fee !== null) return 'applied';
  if (known) return refreshInvoice(db, known.stripe_invoice_id, { pledgeId: known.pledge_id, projectId: null });
  const payments = await stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: paymentIntentId }, limit: 1 });
  const invoiceId = idOf(payments.data[0]?.invoice);
  if (!invoiceId) return 'ignored';
  const invoice = await stripe.invoices.retrieve(invoiceId);
  const ref = invoicePledgeRef(invoice);
  if (!ref) return 'not_ours';
  return refreshInvoice(db, invoiceId, ref);
}
