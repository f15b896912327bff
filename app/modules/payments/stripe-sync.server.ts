import { sql } from 'kysely';
import type { Database } from '#app/core/db.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { invoicePledgeRef, pledgeRef, type PledgeRef } from '#app/modules/pledges/stripe-objects.ts';
import { refreshInvoice, refreshSubscription, type SyncOutcome } from '#app/modules/pledges/sync.server.ts';
import { stripe } from './stripe.server.ts';

/**
 * Repairs what missed or failed webhooks left behind (the `sync_stripe` job every 15 minutes,
 * and `npm run stripe:sync`). It lists recent subscriptions and paid invoices at Stripe and
 * the subscriptions of live pledges whose period should have renewed by now, and applies each
 * through the same functions the webhook handlers use, so running it any number of times, or
 * alongside webhook processing, changes nothing that is already right.
 */

export type SyncReport = { subscriptions: number; invoices: number; overdue: number; applied: number; notOurs: number; failed: { id: string; error: string }[] };

/** Stripe retries a webhook for 3 days; anything older was either delivered or is long repaired. */
export const DEFAULT_SYNC_WINDOW_MS = 3 * 24 * 60 * 60 * 1000;

export async function syncFromStripe(db: Database, options: { since?: Date }): Promise<SyncReport> {
  const since = options.since ?? new Date(Date.now() - DEFAULT_SYNC_WINDOW_MS);
  const created = { gte: Math.floor(since.getTime() / 1000) };
  const report: SyncReport = { subscriptions: 0, invoices: 0, overdue: 0, applied: 0, notOurs: 0, failed: [] };

  const apply = async (id: string, ref: PledgeRef | null, run: (ref: PledgeRef) => Promise<SyncOutcome>) => {
    if (!ref) {
      report.notOurs += 1;
      return;
    }
    try {
      if ((await run(ref)) === 'applied') report.applied += 1;
      else report.notOurs += 1;
    } catch (error) {
      report.failed.push({ id, error: error instanceof Error ? error.message : String(error) });
    }
  };

  const seen = new Set<string>();
  for await (const sub of stripe.subscriptions.list({ status: 'all', created, limit: 100 })) {
    report.subscriptions += 1;
    seen.add(sub.id);
    await apply(sub.id, pledgeRef(sub.metadata), (ref) => refreshSubscription(db, sub.id, ref));
  }

  // Older subscriptions change too (renewals, cancellations at period end, dunning outcomes):
  // a live pledge whose period ended without news from Stripe is read again.
  const overdue = await db
    .selectFrom('pledges')
    .select(['id', 'project_id', 'stripe_subscription_id'])
    .where('status', 'in', ['active', 'past_due'])
    .where('stripe_subscription_id', 'is not', null)
    .where('current_period_end', '<', sql<Date>`now()`)
    .orderBy('current_period_end')
    .limit(500)
    .execute();
  for (const pledge of overdue) {
    const subscriptionId = pledge.stripe_subscription_id as string;
    if (seen.has(subscriptionId)) continue;
    report.overdue += 1;
    await apply(subscriptionId, { pledgeId: pledge.id, projectId: pledge.project_id }, (ref) => refreshSubscription(db, subscriptionId, ref));
  }

  for await (const invoice of stripe.invoices.list({ status: 'paid', created, limit: 100 })) {
    report.invoices += 1;
    const invoiceId = invoice.id as string;
    await apply(invoiceId, invoicePledgeRef(invoice), (ref) => refreshInvoice(db, invoiceId, ref));
  }

  const level = report.failed.length > 0 ? 'warn' : 'info';
  logger[level]({ event: 'stripe.sync', since: since.toISOString(), ...report, failed: report.failed.slice(0, 20) }, 'stripe sync finished');
  return report;
}
