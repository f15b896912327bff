/**
 * How a Stripe subscription's state maps onto a pledge: pure rules, unit-tested, used by
 * sync.server.ts (the only writer) and by the pages that describe a pledge.
 */

export type PledgeStatus = 'pending' | 'active' | 'past_due' | 'ended' | 'expired';

/**
 * Stripe subscription status → pledge status. Benefits continue while Stripe retries a failed
 * renewal (past_due); the pledge ends when Stripe gives up (canceled or unpaid) or when the
 * first payment never completed (incomplete_expired).
 */
export function pledgeStatusFor(stripeStatus: string): PledgeStatus {
  switch (stripeStatus) {
    case 'active':
    case 'trialing':
      return 'active';
    case 'past_due':
      return 'past_due';
    case 'incomplete':
      return 'pending';
    case 'canceled':
    case 'unpaid':
    case 'incomplete_expired':
      return 'ended';
    default:
      // paused (not offered by Makerfund) and anything newer: benefits stop until a person looks.
      return 'past_due';
  }
}

/** A pledge holds a place in its tier (and gets benefits) while live. */
export function isLive(status: string): boolean {
  return status === 'active' || status === 'past_due';
}

export type Terms = { tierId: string; amount: number };
export type Schedule = { tierId: string; amount: number; changeAt: Date } | null;

function same(a: Terms, b: Terms): boolean {
  return a.tierId === b.tierId && a.amount === b.amount;
}

/**
 * Which tier and amount the pledge has, given what Stripe bills now. A downgrade is made at
 * Stripe immediately without proration (so the next invoice bills the lower price) while the
 * patron keeps the tier they paid for until `changeAt`, the end of that period:
 * - Stripe bills the scheduled terms: they apply once a period starting at or after changeAt runs.
 * - Stripe still bills the current terms: the change is on its way to Stripe (or was undone
 *   there); a schedule whose date has passed without the change is dropped.
 * - Stripe bills something else (an upgrade, a change in the customer portal): that applies now.
 */
export function resolveTerms(input: { current: Terms; scheduled: Schedule; stripe: Terms; periodStart: Date | null }): { terms: Terms; scheduled: Schedule } {
  const { current, scheduled, stripe, periodStart } = input;
  if (!scheduled) return { terms: stripe, scheduled: null };
  const periodTurned = periodStart !== null && periodStart.getTime() >= scheduled.changeAt.getTime();
  if (same(stripe, scheduled)) return periodTurned ? { terms: stripe, scheduled: null } : { terms: current, scheduled };
  if (same(stripe, current)) return periodTurned ? { terms: current, scheduled: null } : { terms: current, scheduled };
  return { terms: stripe, scheduled: null };
}

export type PledgeSummary = {
  status: string;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: Date | null;
};

/** What the patron reads next to a pledge. `formatDate` is the page's (locale, time zone). */
export function statusLabel(pledge: PledgeSummary, formatDate: (date: Date) => string): { label: string; tone: 'ok' | 'warn' | 'muted' } {
  switch (pledge.status) {
    case 'active':
      if (pledge.cancelAtPeriodEnd) {
        return { label: pledge.currentPeriodEnd ? `Cancelling — ends on ${formatDate(pledge.currentPeriodEnd)}` : 'Cancelling', tone: 'warn' };
      }
      return { label: 'Active', tone: 'ok' };
    case 'past_due':
      return { label: 'Past due — update your card', tone: 'warn' };
    case 'pending':
      return { label: 'Waiting for payment', tone: 'muted' };
    case 'expired':
      return { label: 'Checkout not completed', tone: 'muted' };
    default:
      return { label: 'Ended', tone: 'muted' };
  }
}

/**
 * The next regular charge: the period end, unless the pledge is ending. None while past due:
 * then the next thing to happen is Stripe trying the failed payment again.
 */
export function nextChargeDate(pledge: PledgeSummary): Date | null {
  if (pledge.status !== 'active' || pledge.cancelAtPeriodEnd) return null;
  return pledge.currentPeriodEnd;
}
