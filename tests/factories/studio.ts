import { randomBytes } from 'node:crypto';
import { db } from '#app/core/db.server.ts';

/**
 * Rows as the projects UI and the Stripe pipeline leave them: the studio only reads these
 * tables, so its tests write them directly.
 */

let counter = 0;
const unique = () => `${(counter += 1)}${randomBytes(3).toString('hex')}`;

/** A patron who never logs in during the test: no argon2 hash needed, so hundreds are cheap. */
export async function insertPatron(overrides: { handle?: string; displayName?: string } = {}): Promise<{ id: string; handle: string; displayName: string }> {
  const suffix = unique();
  const handle = overrides.handle ?? `patron-${suffix}`;
  const displayName = overrides.displayName ?? `Patron ${suffix}`;
  const row = await db
    .insertInto('users')
    .values({ email: `${handle}@example.test`, handle, display_name: displayName, password_hash: 'not-a-login' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, handle, displayName };
}

export async function insertProject(makerId: string, overrides: { slug?: string; name?: string; currency?: string } = {}) {
  const suffix = unique();
  return db
    .insertInto('projects')
    .values({ maker_id: makerId, slug: overrides.slug ?? `project-${suffix}`, name: overrides.name ?? `Project ${suffix}`, pitch: 'Tools for makers', currency: overrides.currency ?? 'eur' })
    .returning(['id', 'slug', 'name', 'currency'])
    .executeTakeFirstOrThrow();
}

export async function insertTier(
  projectId: string,
  overrides: { name?: string; monthlyAmount?: number; yearlyAmount?: number | null; position?: number; archivedAt?: Date | null } = {},
) {
  return db
    .insertInto('tiers')
    .values({
      project_id: projectId,
      name: overrides.name ?? `Tier ${unique()}`,
      monthly_amount: overrides.monthlyAmount ?? 500,
      yearly_amount: overrides.yearlyAmount ?? null,
      position: overrides.position ?? 0,
      archived_at: overrides.archivedAt ?? null,
    })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
}

export type PledgeOverrides = {
  interval?: 'month' | 'year';
  amount?: number;
  currency?: string;
  status?: 'pending' | 'active' | 'past_due' | 'ended' | 'expired';
  cancelAtPeriodEnd?: boolean;
  startedAt?: Date | null;
  currentPeriodEnd?: Date | null;
  endedAt?: Date | null;
};

export async function insertPledge(input: { patronId: string; projectId: string; tierId: string } & PledgeOverrides) {
  const suffix = unique();
  const status = input.status ?? 'active';
  return db
    .insertInto('pledges')
    .values({
      patron_id: input.patronId,
      project_id: input.projectId,
      tier_id: input.tierId,
      interval: input.interval ?? 'month',
      amount: input.amount ?? 500,
      currency: input.currency ?? 'eur',
      status,
      cancel_at_period_end: input.cancelAtPeriodEnd ?? false,
      started_at: input.startedAt === undefined ? (status === 'pending' || status === 'expired' ? null : new Date()) : input.startedAt,
      current_period_start: input.startedAt ?? null,
      current_period_end: input.currentPeriodEnd ?? null,
      ended_at: input.endedAt ?? null,
      stripe_subscription_id: status === 'pending' || status === 'expired' ? null : `sub_test_${suffix}`,
      stripe_checkout_session_id: `cs_test_${suffix}`,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
}

/** A subscription invoice. Paid ones carry the fee split; `stripeFee: null` is a balance transaction not yet known. */
export async function insertInvoice(input: {
  pledgeId: string;
  status?: 'paid' | 'open';
  currency?: string;
  amountPaid?: number;
  stripeFee?: number | null;
  platformFee?: number | null;
  makerNet?: number | null;
  paidAt?: Date | null;
  nextPaymentAttempt?: Date | null;
}) {
  const status = input.status ?? 'paid';
  const amount = input.amountPaid ?? 500;
  return db
    .insertInto('pledge_invoices')
    .values({
      pledge_id: input.pledgeId,
      stripe_invoice_id: `in_test_${unique()}`,
      status,
      billing_reason: 'subscription_cycle',
      currency: input.currency ?? 'eur',
      amount_due: amount,
      amount_paid: status === 'paid' ? amount : 0,
      stripe_fee: input.stripeFee === undefined ? null : input.stripeFee,
      platform_fee: input.platformFee === undefined ? null : input.platformFee,
      maker_net: input.makerNet === undefined ? null : input.makerNet,
      // One paid invoice per period is enforced by a unique index: give each its own period.
      period_start: input.paidAt ?? new Date(Date.UTC(2000, 0, 1) + (counter += 1) * 1000),
      paid_at: status === 'paid' ? (input.paidAt ?? new Date()) : null,
      attempt_count: status === 'paid' ? 1 : 2,
      next_payment_attempt: input.nextPaymentAttempt ?? null,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
}
