import { sql } from 'kysely';
import type { Executor } from '#app/core/db.server.ts';

/**
 * A pledge holds a place in a limited tier while it is live (active or past
 * due) or while its Checkout is still open. Pages show "3 of 10 left" from
 * this; claiming a place locks the tier row first so that concurrent joins
 * produce exactly `patron_limit` winners.
 */
export async function heldSlots(db: Executor, tierIds: readonly string[]): Promise<Map<string, number>> {
  if (tierIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('pledges')
    .select(['tier_id', (eb) => eb.fn.countAll<number>().as('held')])
    .where('tier_id', 'in', tierIds)
    .where((eb) =>
      eb.or([
        eb('status', 'in', ['active', 'past_due']),
        eb.and([eb('status', '=', 'pending'), eb('checkout_expires_at', '>', sql<Date>`now()`)]),
      ]),
    )
    .groupBy('tier_id')
    .execute();
  return new Map(rows.map((row) => [row.tier_id, Number(row.held)]));
}

/**
 * Inside the caller's transaction: locks the tier, and says whether one more
 * pledge fits. The lock is held until that transaction commits the new pledge.
 */
export async function lockTierForClaim(trx: Executor, tierId: string): Promise<{ fits: boolean; limit: number | null; held: number }> {
  const tier = await trx.selectFrom('tiers').select(['patron_limit']).where('id', '=', tierId).forUpdate().executeTakeFirstOrThrow();
  const held = (await heldSlots(trx, [tierId])).get(tierId) ?? 0;
  return { fits: tier.patron_limit === null || held < tier.patron_limit, limit: tier.patron_limit, held };
}
