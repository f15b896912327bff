import { sql, type ExpressionBuilder } from 'kysely';
import type { Executor } from '#app/core/db.server.ts';
import type { DB } from '#db/schema.ts';
import { toCsv } from './csv.ts';
import { PATRONS_PER_PAGE, type PatronFilters } from './filters.ts';
import {
  churn,
  concentration,
  incomeByMonth,
  lastMonths,
  monthsWindowStart,
  patronStatus,
  PATRON_STATUSES,
  recurringRevenue,
  type Concentration,
  type IncomeRow,
  type IncomeSeries,
  type MetricPledge,
  type PatronStatus,
  type RecurringRevenue,
} from './metrics.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHURN_DAYS = 30;
const INCOME_MONTHS = 12;

export type StudioProject = { id: string; slug: string; name: string; currency: string; makerHandle: string; publicPath: string };

/** Where patrons find the project. */
export function projectPublicPath(makerHandle: string, slug: string): string {
  return `/@${makerHandle}/${slug}`;
}

/** The project, only for its maker: anyone else (or a malformed id) gets null, never the row. */
export async function findStudioProject(db: Executor, input: { projectId: string; makerId: string }): Promise<StudioProject | null> {
  if (!UUID.test(input.projectId)) return null;
  const row = await db
    .selectFrom('projects')
    .innerJoin('users', 'users.id', 'projects.maker_id')
    .select(['projects.id', 'projects.slug', 'projects.name', 'projects.currency', 'users.handle'])
    .where('projects.id', '=', input.projectId)
    .where('projects.maker_id', '=', input.makerId)
    .executeTakeFirst();
  if (!row) return null;
  return { id: row.id, slug: row.slug, name: row.name, currency: row.currency, makerHandle: row.handle, publicPath: projectPublicPath(row.handle, row.slug) };
}

export type PatronRow = {
  pledgeId: string;
  handle: string;
  displayName: string;
  tierName: string;
  amount: number;
  currency: string;
  interval: string;
  status: PatronStatus;
  /** ISO timestamps. */
  since: string;
  /** The next attempt to charge: the period end while active, Stripe's retry while past due. */
  nextChargeAt: string | null;
  /** When a cancelling pledge stops, or when an ended one did. */
  endsAt: string | null;
};

type PledgeBuilder = ExpressionBuilder<DB & { p: DB['pledges'] }, 'p'>;

function statusCondition(eb: PledgeBuilder, status: PatronStatus | undefined) {
  switch (status) {
    case 'active':
      return eb.and([eb('p.status', '=', 'active'), eb('p.cancel_at_period_end', '=', false)]);
    case 'cancelling':
      return eb.and([eb('p.status', '=', 'active'), eb('p.cancel_at_period_end', '=', true)]);
    case 'past_due':
      return eb('p.status', '=', 'past_due');
    case 'ended':
      return eb('p.status', '=', 'ended');
    case undefined:
      return eb('p.status', 'in', ['active', 'past_due', 'ended']);
  }
}

function patronsQuery(db: Executor, projectId: string, filters: Pick<PatronFilters, 'status' | 'tier'>) {
  let query = db
    .selectFrom('pledges as p')
    .innerJoin('users as u', 'u.id', 'p.patron_id')
    .innerJoin('tiers as t', 't.id', 'p.tier_id')
    .where('p.project_id', '=', projectId)
    .where((eb) => statusCondition(eb, filters.status));
  if (filters.tier) query = query.where('p.tier_id', '=', filters.tier);
  return query;
}

async function listPatrons(
  db: Executor,
  projectId: string,
  filters: Pick<PatronFilters, 'status' | 'tier'>,
  page: { limit: number; offset: number } | null,
): Promise<PatronRow[]> {
  let query = patronsQuery(db, projectId, filters)
    .select([
      'p.id',
      'u.handle',
      'u.display_name',
      't.name as tier_name',
      'p.amount',
      'p.currency',
      'p.interval',
      'p.status',
      'p.cancel_at_period_end',
      'p.current_period_end',
      'p.ended_at',
      'p.updated_at',
      sql<Date>`coalesce(p.started_at, p.created_at)`.as('since'),
      (eb) =>
        eb
          .selectFrom('pledge_invoices as i')
          .select('i.next_payment_attempt')
          .whereRef('i.pledge_id', '=', 'p.id')
          .where('i.status', '!=', 'paid')
          .where('i.next_payment_attempt', 'is not', null)
          .orderBy('i.created_at', 'desc')
          .limit(1)
          .as('retry_at'),
    ])
    // Current patrons first, longest-standing first; ended pledges after them.
    .orderBy(sql`p.status = 'ended'`)
    .orderBy(sql`coalesce(p.started_at, p.created_at)`)
    .orderBy('u.handle')
    .orderBy('p.id');
  if (page) query = query.limit(page.limit).offset(page.offset);
  const rows = await query.execute();
  return rows.map((row): PatronRow => {
    const status = patronStatus({ status: row.status, cancelAtPeriodEnd: row.cancel_at_period_end }) as PatronStatus;
    const periodEnd = row.current_period_end?.toISOString() ?? null;
    return {
      pledgeId: row.id,
      handle: row.handle,
      displayName: row.display_name,
      tierName: row.tier_name,
      amount: row.amount,
      currency: row.currency,
      interval: row.interval,
      status,
      since: row.since.toISOString(),
      nextChargeAt: status === 'active' ? periodEnd : status === 'past_due' ? (row.retry_at?.toISOString() ?? null) : null,
      endsAt: status === 'cancelling' ? periodEnd : status === 'ended' ? (row.ended_at ?? row.updated_at).toISOString() : null,
    };
  });
}

async function countPatrons(db: Executor, projectId: string, filters: Pick<PatronFilters, 'status' | 'tier'>): Promise<number> {
  const row = await patronsQuery(db, projectId, filters)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

async function statusCounts(db: Executor, projectId: string): Promise<Record<PatronStatus, number>> {
  const rows = await db
    .selectFrom('pledges')
    .select(['status', 'cancel_at_period_end', (eb) => eb.fn.countAll<number>().as('count')])
    .where('project_id', '=', projectId)
    .where('status', 'in', ['active', 'past_due', 'ended'])
    .groupBy(['status', 'cancel_at_period_end'])
    .execute();
  const counts = Object.fromEntries(PATRON_STATUSES.map((status) => [status, 0])) as Record<PatronStatus, number>;
  for (const row of rows) {
    const status = patronStatus({ status: row.status, cancelAtPeriodEnd: row.cancel_at_period_end });
    if (status) counts[status] += Number(row.count);
  }
  return counts;
}

/**
 * Live pledges, and the ones that ended since `endedSince` (older ones change no number).
 * A pledge marked ended without `ended_at` is taken to have ended at its last update.
 */
async function metricPledges(db: Executor, projectId: string, endedSince: Date): Promise<MetricPledge[]> {
  const rows = await db
    .selectFrom('pledges')
    .select([
      'patron_id',
      'status',
      'interval',
      'amount',
      'currency',
      sql<Date>`coalesce(started_at, created_at)`.as('since'),
      sql<Date | null>`case when status = 'ended' then coalesce(ended_at, updated_at) end`.as('ended_at'),
    ])
    .where('project_id', '=', projectId)
    .where((eb) =>
      eb.or([eb('status', 'in', ['active', 'past_due']), eb.and([eb('status', '=', 'ended'), eb(sql`coalesce(ended_at, updated_at)`, '>=', endedSince)])]),
    )
    .execute();
  return rows.map((row) => ({
    patronId: row.patron_id,
    status: row.status,
    interval: row.interval,
    amount: row.amount,
    currency: row.currency,
    since: row.since,
    endedAt: row.ended_at,
  }));
}

/** Paid invoices per UTC month of `paid_at` and currency, from `since` on. */
async function incomeRows(db: Executor, projectId: string, since: Date): Promise<IncomeRow[]> {
  const month = sql<string>`to_char(date_trunc('month', i.paid_at at time zone 'UTC'), 'YYYY-MM')`;
  const rows = await db
    .selectFrom('pledge_invoices as i')
    .innerJoin('pledges as p', 'p.id', 'i.pledge_id')
    .select([
      month.as('month'),
      'i.currency',
      sql<number>`count(*)::int`.as('invoices'),
      sql<number>`sum(i.amount_paid)::bigint`.as('gross'),
      sql<number>`coalesce(sum(i.stripe_fee), 0)::bigint`.as('stripe_fee'),
      sql<number>`count(*) filter (where i.stripe_fee is null)::int`.as('stripe_fee_pending'),
      sql<number>`coalesce(sum(i.platform_fee), 0)::bigint`.as('platform_fee'),
      sql<number>`count(*) filter (where i.platform_fee is null)::int`.as('platform_fee_pending'),
      sql<number>`coalesce(sum(i.maker_net), 0)::bigint`.as('net'),
      sql<number>`count(*) filter (where i.maker_net is null)::int`.as('net_pending'),
    ])
    .where('p.project_id', '=', projectId)
    .where('i.status', '=', 'paid')
    .where('i.paid_at', '>=', since)
    .groupBy([month, 'i.currency'])
    .execute();
  return rows.map((row) => ({
    month: row.month,
    currency: row.currency,
    invoices: row.invoices,
    gross: row.gross,
    stripeFee: { known: row.stripe_fee, pending: row.stripe_fee_pending },
    platformFee: { known: row.platform_fee, pending: row.platform_fee_pending },
    net: { known: row.net, pending: row.net_pending },
  }));
}

async function projectTiers(db: Executor, projectId: string) {
  const rows = await db
    .selectFrom('tiers')
    .select(['id', 'name', 'archived_at'])
    .where('project_id', '=', projectId)
    .orderBy('position')
    .orderBy('created_at')
    .execute();
  return rows.map((row) => ({ id: row.id, name: row.name, archived: row.archived_at !== null }));
}

export type ProjectDashboard = {
  project: StudioProject;
  tiers: { id: string; name: string; archived: boolean }[];
  /** Pledges per status over the whole project, for the filter and the summary. */
  statusCounts: Record<PatronStatus, number>;
  revenue: RecurringRevenue[];
  churn: { days: number; windowStart: string; ended: number; liveAtStart: number; rate: number | null };
  concentration: Concentration[];
  income: IncomeSeries[];
  patrons: { rows: PatronRow[]; total: number; page: number; pageCount: number; perPage: number };
};

/** Everything the project dashboard shows, as plain data. `project` comes from findStudioProject. */
export async function getProjectDashboard(db: Executor, project: StudioProject, filters: PatronFilters, now: Date): Promise<ProjectDashboard> {
  const churnStart = new Date(now.getTime() - CHURN_DAYS * 24 * 60 * 60 * 1000);
  const months = lastMonths(now, INCOME_MONTHS);
  const [tiers, counts, pledges, income, total, rows] = await Promise.all([
    projectTiers(db, project.id),
    statusCounts(db, project.id),
    metricPledges(db, project.id, churnStart),
    incomeRows(db, project.id, monthsWindowStart(now, INCOME_MONTHS)),
    countPatrons(db, project.id, filters),
    listPatrons(db, project.id, filters, { limit: PATRONS_PER_PAGE, offset: (filters.page - 1) * PATRONS_PER_PAGE }),
  ]);
  const revenue = recurringRevenue(pledges);
  const churnResult = churn(pledges, now, CHURN_DAYS);
  return {
    project,
    tiers,
    statusCounts: counts,
    revenue: revenue.some((entry) => entry.currency === project.currency)
      ? revenue
      : [{ currency: project.currency, monthly: 0, patrons: 0, pledges: 0 }, ...revenue],
    churn: { days: CHURN_DAYS, windowStart: churnResult.windowStart.toISOString(), ended: churnResult.ended, liveAtStart: churnResult.liveAtStart, rate: churnResult.rate },
    concentration: concentration(pledges),
    income: incomeByMonth(income, months, project.currency),
    patrons: { rows, total, page: filters.page, pageCount: Math.max(1, Math.ceil(total / PATRONS_PER_PAGE)), perPage: PATRONS_PER_PAGE },
  };
}

export const PATRONS_CSV_HEADER = ['handle', 'display_name', 'tier', 'status', 'amount_minor', 'currency', 'interval', 'since', 'next_charge'] as const;

/** The patrons list (same filters, every page) as CSV for the maker's spreadsheet. */
export async function patronsCsv(db: Executor, project: StudioProject, filters: Pick<PatronFilters, 'status' | 'tier'>): Promise<{ filename: string; body: string }> {
  const rows = await listPatrons(db, project.id, filters, null);
  const body = toCsv(
    PATRONS_CSV_HEADER,
    rows.map((row) => [row.handle, row.displayName, row.tierName, row.status, row.amount, row.currency.toUpperCase(), row.interval, row.since, row.nextChargeAt]),
  );
  return { filename: `${project.slug}-patrons.csv`, body };
}
