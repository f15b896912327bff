import { randomBytes } from 'node:crypto';
import type { Executor } from '#app/core/db.server.ts';

/**
 * Rows the ledger's tests need around it (a maker, a pledge, its invoices), inserted directly:
 * these tests are about money, not signup or checkout. Used only by *.test.ts files.
 */

let counter = 0;

export async function insertUser(db: Executor): Promise<string> {
  counter += 1;
  const suffix = `${counter}-${randomBytes(3).toString('hex')}`;
  const user = await db
    .insertInto('users')
    .values({ email: `ledger-${suffix}@example.test`, handle: `ledger-${suffix}`, display_name: `Ledger ${counter}`, password_hash: 'not-a-real-hash' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return user.id;
}

export type TestPledge = { makerId: string; patronId: string; projectId: string; pledgeId: string; currency: string };

/** A maker's project with one tier and an active pledge by a patron. */
export async function insertPledge(db: Executor, options: { makerId?: string; currency?: string } = {}): Promise<TestPledge> {
  const currency = options.currency ?? 'usd';
  const makerId = options.makerId ?? (await insertUser(db));
  const patronId = await insertUser(db);
  counter += 1;
  const project = await db
    .insertInto('projects')
    .values({ maker_id: makerId, slug: `project-${counter}`, name: `Project ${counter}`, pitch: 'Open hardware', currency })
    .returning('id')
    .executeTakeFirstOrThrow();
  const tier = await db
    .insertInto('tiers')
    .values({ project_id: project.id, name: 'Supporter', monthly_amount: 500 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const pledge = await db
    .insertInto('pledges')
    .values({ patron_id: patronId, project_id: project.id, tier_id: tier.id, interval: 'month', amount: 500, currency, status: 'active' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { makerId, patronId, projectId: project.id, pledgeId: pledge.id, currency };
}

export async function insertPledgeInvoice(
  db: Executor,
  input: {
    pledgeId: string;
    stripeInvoiceId: string;
    amountPaid: number;
    currency?: string;
    status?: string;
    billingReason?: string;
    periodStart?: Date;
    fees?: { stripeFee: number; platformFee: number; makerNet: number };
  },
): Promise<string> {
  const row = await db
    .insertInto('pledge_invoices')
    .values({
      pledge_id: input.pledgeId,
      stripe_invoice_id: input.stripeInvoiceId,
      status: input.status ?? 'paid',
      billing_reason: input.billingReason ?? 'subscription_cycle',
      currency: input.currency ?? 'usd',
      amount_due: input.amountPaid,
      amount_paid: input.amountPaid,
      stripe_fee: input.fees?.stripeFee ?? null,
      platform_fee: input.fees?.platformFee ?? null,
      maker_net: input.fees?.makerNet ?? null,
      period_start: input.periodStart ?? new Date('2026-11-01T00:00:00Z'),
      paid_at: (input.status ?? 'paid') === 'paid' ? new Date() : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export function uniqueStripeId(prefix: string): string {
  counter += 1;
  return `${prefix}_${counter}${randomBytes(6).toString('hex')}`;
}
