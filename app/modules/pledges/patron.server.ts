import type { Executor } from '#app/core/db.server.ts';
import { heldSlots } from '#app/modules/tiers/slots.server.ts';
import { isLive } from './status.ts';

/**
 * What a patron sees of their own pledges: every pledge across makers with its receipts, and one
 * pledge with the tiers it can change to. Ownership is in every query (patron_id).
 */

export type Receipt = {
  id: string;
  number: string | null;
  paidAt: Date | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  billingReason: string | null;
  currency: string;
  amountPaid: number;
  stripeFee: number | null;
  platformFee: number | null;
  makerNet: number | null;
  hostedInvoiceUrl: string | null;
};

export type PatronPledge = {
  id: string;
  status: string;
  projectName: string;
  projectUrl: string;
  makerName: string;
  tierId: string;
  tierName: string;
  amount: number;
  currency: string;
  interval: string;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: Date | null;
  startedAt: Date | null;
  endedAt: Date | null;
  scheduled: { tierName: string; amount: number; changeAt: Date } | null;
  /** Past due: when Stripe tries the card again (null after its last try). */
  retryAt: Date | null;
  receipts: Receipt[];
};

function pledgeQuery(db: Executor, patronId: string) {
  return db
    .selectFrom('pledges')
    .innerJoin('projects', 'projects.id', 'pledges.project_id')
    .innerJoin('users as maker', 'maker.id', 'projects.maker_id')
    .innerJoin('tiers', 'tiers.id', 'pledges.tier_id')
    .leftJoin('tiers as scheduled_tier', 'scheduled_tier.id', 'pledges.scheduled_tier_id')
    .select([
      'pledges.id',
      'pledges.status',
      'pledges.project_id',
      'pledges.tier_id',
      'pledges.amount',
      'pledges.currency',
      'pledges.interval',
      'pledges.cancel_at_period_end',
      'pledges.current_period_end',
      'pledges.started_at',
      'pledges.ended_at',
      'pledges.scheduled_amount',
      'pledges.scheduled_change_at',
      'pledges.stripe_subscription_id',
      'projects.name as project_name',
      'projects.slug as project_slug',
      'maker.handle as maker_handle',
      'maker.display_name as maker_name',
      'tiers.name as tier_name',
      'scheduled_tier.name as scheduled_tier_name',
    ])
    .where('pledges.patron_id', '=', patronId);
}

type PledgeRow = Awaited<ReturnType<ReturnType<typeof pledgeQuery>['execute']>>[number];

/** When Stripe next tries each pledge's open (failed) invoice. */
async function retriesOf(db: Executor, pledgeIds: string[]): Promise<Map<string, Date>> {
  if (pledgeIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('pledge_invoices')
    .select(['pledge_id', (eb) => eb.fn.max('next_payment_attempt').as('retry_at')])
    .where('pledge_id', 'in', pledgeIds)
    .where('status', '=', 'open')
    .groupBy('pledge_id')
    .execute();
  return new Map(rows.flatMap((row) => (row.retry_at ? [[row.pledge_id, new Date(row.retry_at)] as const] : [])));
}

async function receiptsOf(db: Executor, pledgeIds: string[]): Promise<Map<string, Receipt[]>> {
  const byPledge = new Map<string, Receipt[]>();
  if (pledgeIds.length === 0) return byPledge;
  const rows = await db
    .selectFrom('pledge_invoices')
    .selectAll()
    .where('pledge_id', 'in', pledgeIds)
    .where('status', '=', 'paid')
    .where('amount_paid', '>', 0)
    .orderBy('paid_at', 'desc')
    .execute();
  for (const row of rows) {
    const list = byPledge.get(row.pledge_id) ?? [];
    list.push({
      id: row.id,
      number: row.number,
      paidAt: row.paid_at,
      periodStart: row.period_start,
      periodEnd: row.period_end,
      billingReason: row.billing_reason,
      currency: row.currency,
      amountPaid: row.amount_paid,
      stripeFee: row.stripe_fee,
      platformFee: row.platform_fee,
      makerNet: row.maker_net,
      hostedInvoiceUrl: row.hosted_invoice_url,
    });
    byPledge.set(row.pledge_id, list);
  }
  return byPledge;
}

function asPatronPledge(row: PledgeRow, receipts: Receipt[], retryAt: Date | null): PatronPledge {
  return {
    id: row.id,
    status: row.status,
    projectName: row.project_name,
    projectUrl: `/@${row.maker_handle}/${row.project_slug}`,
    makerName: row.maker_name,
    tierId: row.tier_id,
    tierName: row.tier_name,
    amount: row.amount,
    currency: row.currency,
    interval: row.interval,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    currentPeriodEnd: row.current_period_end,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    scheduled:
      row.scheduled_tier_name && row.scheduled_amount !== null && row.scheduled_change_at
        ? { tierName: row.scheduled_tier_name, amount: row.scheduled_amount, changeAt: row.scheduled_change_at }
        : null,
    retryAt: row.status === 'past_due' ? retryAt : null,
    receipts,
  };
}

const ORDER: Record<string, number> = { past_due: 0, active: 1, pending: 2, ended: 3 };

/** Every pledge the patron made, live ones first; abandoned checkouts are left out. */
export async function listPatronPledges(db: Executor, patronId: string): Promise<PatronPledge[]> {
  const rows = await pledgeQuery(db, patronId).where('pledges.status', '!=', 'expired').orderBy('pledges.created_at', 'desc').execute();
  const ids = rows.map((row) => row.id);
  const [receipts, retries] = await Promise.all([receiptsOf(db, ids), retriesOf(db, ids)]);
  return rows
    .map((row) => asPatronPledge(row, receipts.get(row.id) ?? [], retries.get(row.id) ?? null))
    .sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9));
}

export type TierOption = { id: string; name: string; amount: number; current: boolean; full: boolean };

export type ManagedPledge = PatronPledge & { live: boolean; tiers: TierOption[] };

/** One pledge of this patron with the tiers of its project it could move to (same billing interval). */
export async function getManagedPledge(db: Executor, input: { pledgeId: string; patronId: string }): Promise<ManagedPledge | null> {
  const row = await pledgeQuery(db, input.patronId).where('pledges.id', '=', input.pledgeId).executeTakeFirst();
  if (!row) return null;
  const [receipts, retries] = await Promise.all([receiptsOf(db, [row.id]), retriesOf(db, [row.id])]);
  const tierRows = await db
    .selectFrom('tiers')
    .innerJoin('tier_prices', 'tier_prices.tier_id', 'tiers.id')
    .select(['tiers.id', 'tiers.name', 'tiers.patron_limit', 'tier_prices.amount'])
    .where('tiers.project_id', '=', row.project_id)
    .where('tiers.archived_at', 'is', null)
    .where('tier_prices.interval', '=', row.interval)
    .where('tier_prices.active', '=', true)
    .orderBy('tiers.position')
    .orderBy('tiers.created_at')
    .execute();
  const held = await heldSlots(db, tierRows.map((tier) => tier.id));
  return {
    ...asPatronPledge(row, receipts.get(row.id) ?? [], retries.get(row.id) ?? null),
    live: isLive(row.status) && row.stripe_subscription_id !== null,
    tiers: tierRows.map((tier) => ({
      id: tier.id,
      name: tier.name,
      amount: tier.amount,
      current: tier.id === row.tier_id,
      full: tier.id !== row.tier_id && tier.patron_limit !== null && (held.get(tier.id) ?? 0) >= tier.patron_limit,
    })),
  };
}
