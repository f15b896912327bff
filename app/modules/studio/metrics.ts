/**
 * The studio's numbers, as pure functions over rows the queries load. Amounts are integer
 * minor units; every division says how it rounds.
 */

export const PATRON_STATUSES = ['active', 'past_due', 'cancelling', 'ended'] as const;
export type PatronStatus = (typeof PATRON_STATUSES)[number];

export const PATRON_STATUS_LABELS: Record<PatronStatus, string> = {
  active: 'Active',
  past_due: 'Past due',
  cancelling: 'Cancelling',
  ended: 'Ended',
};

/** Pledge statuses that are a patron now: benefits on, and counted in monthly income. */
export const LIVE_PLEDGE_STATUSES = ['active', 'past_due'] as const;

/**
 * What the maker sees. A cancel at period end keeps an active pledge active in Stripe; to
 * the maker it is leaving. A past-due pledge stays past due even if it is also cancelling:
 * the failed payment is the more urgent fact. Pending and expired checkouts are no patrons.
 */
export function patronStatus(pledge: { status: string; cancelAtPeriodEnd: boolean }): PatronStatus | null {
  switch (pledge.status) {
    case 'active':
      return pledge.cancelAtPeriodEnd ? 'cancelling' : 'active';
    case 'past_due':
      return 'past_due';
    case 'ended':
      return 'ended';
    default:
      return null;
  }
}

/**
 * A pledge's amount per month. Yearly pledges count as a twelfth, rounded to the nearest
 * minor unit with halves up (10000 → 833, 30 → 3, 18 → 2), per pledge: the same figure a
 * maker gets by dividing any one patron's yearly amount by 12.
 */
export function monthlyEquivalent(amount: number, interval: string): number {
  if (interval === 'month') return amount;
  if (interval === 'year') return Math.floor((amount + 6) / 12);
  throw new Error(`monthlyEquivalent: unknown interval ${interval}`);
}

/** `part` of `whole` in percent, rounded to `decimals` places with halves up; null when whole is 0. */
export function percent(part: number, whole: number, decimals = 0): number | null {
  if (whole === 0) return null;
  const scale = 10 ** decimals;
  return Math.round((part * 100 * scale) / whole) / scale;
}

export type MetricPledge = {
  patronId: string;
  status: string;
  interval: string;
  amount: number;
  currency: string;
  /** When the pledge became live. */
  since: Date;
  endedAt: Date | null;
};

function isLive(pledge: MetricPledge): boolean {
  return (LIVE_PLEDGE_STATUSES as readonly string[]).includes(pledge.status);
}

/** Monthly amount per patron and currency, largest first. */
function monthlyByPatron(pledges: readonly MetricPledge[]): Map<string, { patronId: string; monthly: number }[]> {
  const byCurrency = new Map<string, Map<string, number>>();
  for (const pledge of pledges) {
    if (!isLive(pledge)) continue;
    const patrons = byCurrency.get(pledge.currency) ?? new Map<string, number>();
    patrons.set(pledge.patronId, (patrons.get(pledge.patronId) ?? 0) + monthlyEquivalent(pledge.amount, pledge.interval));
    byCurrency.set(pledge.currency, patrons);
  }
  const sorted = new Map<string, { patronId: string; monthly: number }[]>();
  for (const currency of [...byCurrency.keys()].sort()) {
    const patrons = [...(byCurrency.get(currency) ?? new Map<string, number>())].map(([patronId, monthly]) => ({ patronId, monthly }));
    sorted.set(currency, patrons.sort((a, b) => b.monthly - a.monthly || a.patronId.localeCompare(b.patronId)));
  }
  return sorted;
}

export type RecurringRevenue = { currency: string; monthly: number; patrons: number; pledges: number };

/**
 * Monthly recurring revenue per currency: the monthly equivalent of every active and past-due
 * pledge (past due still counts while Stripe retries: the patron has not left yet). Patrons
 * are distinct people, pledges the subscriptions they hold.
 */
export function recurringRevenue(pledges: readonly MetricPledge[]): RecurringRevenue[] {
  const pledgeCounts = new Map<string, number>();
  for (const pledge of pledges) if (isLive(pledge)) pledgeCounts.set(pledge.currency, (pledgeCounts.get(pledge.currency) ?? 0) + 1);
  return [...monthlyByPatron(pledges)].map(([currency, patrons]) => ({
    currency,
    monthly: patrons.reduce((sum, patron) => sum + patron.monthly, 0),
    patrons: patrons.length,
    pledges: pledgeCounts.get(currency) ?? 0,
  }));
}

export type Churn = {
  windowStart: Date;
  windowEnd: Date;
  /** Pledges that ended inside the window. */
  ended: number;
  /** Pledges that were live when the window began. */
  liveAtStart: number;
  /** ended ÷ liveAtStart in percent, one decimal; null when nobody was live at the start. */
  rate: number | null;
};

/**
 * Churn over the last `days` days: pledges that ended in the window divided by the pledges
 * that were live at its start. A pledge that both began and ended inside the window counts
 * as ended but was not live at the start, so the rate can exceed 100% for a young project.
 */
export function churn(pledges: readonly MetricPledge[], now: Date, days = 30): Churn {
  const windowStart = new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
  let ended = 0;
  let liveAtStart = 0;
  for (const pledge of pledges) {
    if (!isLive(pledge) && pledge.status !== 'ended') continue;
    const endedAt = pledge.status === 'ended' ? pledge.endedAt : null;
    if (pledge.status === 'ended' && !endedAt) continue; // ended at an unknown time: in neither count
    if (endedAt && endedAt >= windowStart && endedAt <= now) ended += 1;
    if (pledge.since < windowStart && (!endedAt || endedAt >= windowStart)) liveAtStart += 1;
  }
  return { windowStart, windowEnd: now, ended, liveAtStart, rate: percent(ended, liveAtStart, 1) };
}

export type Concentration = {
  currency: string;
  /** Monthly recurring revenue in this currency. */
  total: number;
  patrons: number;
  /** Monthly amount from the largest patron, and from the largest three together. */
  top1: number;
  top3: number;
  /** Shares of `total` in whole percent (halves up). */
  top1Share: number;
  top3Share: number;
};

/**
 * How much of monthly income hangs on the largest patrons (a patron's pledges to the
 * project are added up). Patrons with the same amount are ordered by id, which changes no share.
 */
export function concentration(pledges: readonly MetricPledge[]): Concentration[] {
  const result: Concentration[] = [];
  for (const [currency, patrons] of monthlyByPatron(pledges)) {
    const total = patrons.reduce((sum, patron) => sum + patron.monthly, 0);
    if (total === 0) continue;
    const top1 = patrons[0]?.monthly ?? 0;
    const top3 = patrons.slice(0, 3).reduce((sum, patron) => sum + patron.monthly, 0);
    result.push({ currency, total, patrons: patrons.length, top1, top3, top1Share: percent(top1, total) ?? 0, top3Share: percent(top3, total) ?? 0 });
  }
  return result;
}

/** The last `count` calendar months in UTC as "YYYY-MM", oldest first, ending with `now`'s month. */
export function lastMonths(now: Date, count = 12): string[] {
  const months: string[] = [];
  for (let back = count - 1; back >= 0; back -= 1) {
    const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    months.push(`${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  return months;
}

/** The first instant of the oldest of `lastMonths(now, count)`. */
export function monthsWindowStart(now: Date, count = 12): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (count - 1), 1));
}

/** A fee or net column summed over a month's paid invoices; `pending` counts invoices whose figure is not known yet. */
export type MonthFigure = { known: number; pending: number };

export type IncomeMonth = {
  month: string;
  invoices: number;
  gross: number;
  stripeFee: MonthFigure;
  platformFee: MonthFigure;
  net: MonthFigure;
};

export type IncomeRow = Omit<IncomeMonth, 'month'> & { month: string; currency: string };

export type IncomeSeries = { currency: string; months: IncomeMonth[]; total: IncomeMonth };

const emptyFigure = (): MonthFigure => ({ known: 0, pending: 0 });
const addFigure = (a: MonthFigure, b: MonthFigure): MonthFigure => ({ known: a.known + b.known, pending: a.pending + b.pending });

/**
 * Income per month for each currency that had any (the project's currency always), every
 * month present, zero when nothing was paid, plus the total over the months.
 */
export function incomeByMonth(rows: readonly IncomeRow[], months: readonly string[], projectCurrency: string): IncomeSeries[] {
  const currencies = [...new Set([projectCurrency, ...rows.map((row) => row.currency)])].sort((a, b) =>
    a === projectCurrency ? -1 : b === projectCurrency ? 1 : a.localeCompare(b),
  );
  return currencies.map((currency) => {
    const series = months.map((month): IncomeMonth => {
      const row = rows.find((candidate) => candidate.currency === currency && candidate.month === month);
      return row
        ? { month, invoices: row.invoices, gross: row.gross, stripeFee: row.stripeFee, platformFee: row.platformFee, net: row.net }
        : { month, invoices: 0, gross: 0, stripeFee: emptyFigure(), platformFee: emptyFigure(), net: emptyFigure() };
    });
    const total = series.reduce(
      (sum, month): IncomeMonth => ({
        month: 'total',
        invoices: sum.invoices + month.invoices,
        gross: sum.gross + month.gross,
        stripeFee: addFigure(sum.stripeFee, month.stripeFee),
        platformFee: addFigure(sum.platformFee, month.platformFee),
        net: addFigure(sum.net, month.net),
      }),
      { month: 'total', invoices: 0, gross: 0, stripeFee: emptyFigure(), platformFee: emptyFigure(), net: emptyFigure() },
    );
    return { currency, months: series, total };
  });
}
