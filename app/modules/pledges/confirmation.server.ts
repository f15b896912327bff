import { sql } from 'kysely';
import type { Executor } from '#app/core/db.server.ts';
import { amountLabel } from './labels.ts';

export type PledgeConfirmation = {
  status: 'waiting' | 'confirmed' | 'expired';
  projectName: string;
  tierName: string;
  amountLabel: string;
};

/**
 * What the project page says when a patron comes back from Checkout (`?pledge=<id>`). Only the
 * webhook pipeline makes a pledge active, so "confirmed" means Stripe has confirmed the payment;
 * until then the patron sees "waiting". Ownership is in the query: another patron's id is null.
 */
export async function getPledgeConfirmation(db: Executor, input: { pledgeId: string; patronId: string }): Promise<PledgeConfirmation | null> {
  const row = await db
    .selectFrom('pledges')
    .innerJoin('tiers', 'tiers.id', 'pledges.tier_id')
    .innerJoin('projects', 'projects.id', 'pledges.project_id')
    .select([
      'pledges.status',
      'pledges.amount',
      'pledges.currency',
      'pledges.interval',
      'tiers.name as tier_name',
      'projects.name as project_name',
      sql<boolean>`pledges.checkout_expires_at is not null and pledges.checkout_expires_at <= now()`.as('checkout_over'),
    ])
    .where('pledges.id', '=', input.pledgeId)
    .where('pledges.patron_id', '=', input.patronId)
    .executeTakeFirst();
  // A pledge that ran and ended is old news, not a checkout to confirm.
  if (!row || row.status === 'ended') return null;
  const status =
    row.status === 'active' || row.status === 'past_due'
      ? 'confirmed'
      : row.status === 'pending' && !row.checkout_over
        ? 'waiting'
        : 'expired';
  return { status, projectName: row.project_name, tierName: row.tier_name, amountLabel: amountLabel(row.amount, row.currency, row.interval) };
}
