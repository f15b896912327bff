import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import Stripe from 'stripe';
import type { Executor } from '#app/core/db.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { ensureStripeProduct, getProjectForMaker, isUuid, type Project, type ProjectRef } from '#app/modules/projects/projects.server.ts';
import type { Tiers } from '#db/schema.ts';
import type { TierInput } from './schemas.ts';
import { heldSlots } from './slots.server.ts';
import { createTierPrice, retireTierPrices, type Interval } from './stripe-prices.server.ts';

export type Tier = {
  id: string;
  projectId: string;
  name: string;
  description: string;
  benefits: string[];
  monthlyAmount: number;
  yearlyAmount: number | null;
  patronLimit: number | null;
  position: number;
  archivedAt: Date | null;
};
export type TierRef = ProjectRef & { tierId: string };
export type TierPrice = { id: string; interval: Interval; amount: number; currency: string; stripePriceId: string };

const asTier = (row: Selectable<Tiers>): Tier => ({
  id: row.id,
  projectId: row.project_id,
  name: row.name,
  description: row.description,
  benefits: Array.isArray(row.benefits) ? row.benefits.filter((line): line is string => typeof line === 'string') : [],
  monthlyAmount: row.monthly_amount,
  yearlyAmount: row.yearly_amount,
  patronLimit: row.patron_limit,
  position: row.position,
  archivedAt: row.archived_at,
});

/** A project's tiers in page order; archived ones only when asked (the studio shows them, patrons do not). */
export async function listTiers(db: Executor, projectId: string, options: { includeArchived: boolean }): Promise<Tier[]> {
  let query = db.selectFrom('tiers').selectAll().where('project_id', '=', projectId);
  if (!options.includeArchived) query = query.where('archived_at', 'is', null);
  const rows = await query.orderBy('position').orderBy('created_at').orderBy('id').execute();
  return rows.map(asTier);
}

export type PublicTier = Tier & { held: number };

/** What patrons see: tiers on offer, in order, with how many places are taken. */
export async function listPublicTiers(db: Executor, projectId: string): Promise<PublicTier[]> {
  const tiers = await listTiers(db, projectId, { includeArchived: false });
  const held = await heldSlots(db, tiers.map((tier) => tier.id));
  return tiers.map((tier) => ({ ...tier, held: held.get(tier.id) ?? 0 }));
}

/** The tier, only when it belongs to a project of this maker (ownership in the query). */
export async function getTierForMaker(db: Executor, ref: TierRef): Promise<{ tier: Tier; project: Project } | null> {
  if (!isUuid(ref.tierId)) return null;
  const project = await getProjectForMaker(db, ref);
  if (!project) return null;
  const row = await db.selectFrom('tiers').selectAll().where('id', '=', ref.tierId).where('project_id', '=', project.id).executeTakeFirst();
  return row ? { tier: asTier(row), project } : null;
}

/** The price new pledges use for each interval of these tiers. */
export async function activePrices(db: Executor, tierIds: readonly string[]): Promise<Map<string, Partial<Record<Interval, TierPrice>>>> {
  const result = new Map<string, Partial<Record<Interval, TierPrice>>>();
  if (tierIds.length === 0) return result;
  const rows = await db.selectFrom('tier_prices').selectAll().where('tier_id', 'in', tierIds).where('active', '=', true).execute();
  for (const row of rows) {
    const interval = row.interval as Interval;
    const prices = result.get(row.tier_id) ?? {};
    prices[interval] = { id: row.id, interval, amount: row.amount, currency: row.currency, stripePriceId: row.stripe_price_id };
    result.set(row.tier_id, prices);
  }
  return result;
}

/**
 * Creates the tier with its Stripe prices. The prices are made first (under an id we choose
 * now), then the tier and its price rows are written in one transaction: a Stripe failure leaves
 * nothing half-made in our database, and a tier never appears without a price to pledge at.
 */
export async function createTier(db: Executor, ref: ProjectRef, input: TierInput): Promise<Tier | TierFailure | null> {
  const project = await getProjectForMaker(db, ref);
  if (!project) return null;
  const tierId = randomUUID();
  const prices: { interval: Interval; amount: number; stripePriceId: string }[] = [];
  try {
    const productId = await ensureStripeProduct(db, project);
    for (const [interval, amount] of [['month', input.monthlyAmount], ['year', input.yearlyAmount]] as const) {
      if (amount === null) continue;
      prices.push({ interval, amount, stripePriceId: await createTierPrice({ productId, tierId, currency: project.currency, interval, amount, replacing: null }) });
    }
  } catch (error) {
    return stripeFailure(error, tierId, prices.map((price) => price.stripePriceId));
  }
  const tier = await db.transaction().execute(async (trx) => {
    // Serialises position assignment among concurrent creations in one project.
    await trx.selectFrom('projects').select('id').where('id', '=', project.id).forUpdate().executeTakeFirstOrThrow();
    const last = await trx
      .selectFrom('tiers')
      .select((eb) => eb.fn.max('position').as('position'))
      .where('project_id', '=', project.id)
      .executeTakeFirst();
    const row = await trx
      .insertInto('tiers')
      .values({
        id: tierId,
        project_id: project.id,
        name: input.name,
        description: input.description,
        benefits: JSON.stringify(input.benefits),
        monthly_amount: input.monthlyAmount,
        yearly_amount: input.yearlyAmount,
        patron_limit: input.patronLimit,
        position: last?.position === null || last?.position === undefined ? 0 : Number(last.position) + 1,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('tier_prices')
      .values(prices.map((price) => ({ tier_id: tierId, interval: price.interval, amount: price.amount, currency: project.currency, stripe_price_id: price.stripePriceId })))
      .execute();
    return asTier(row);
  });
  logger.info({ event: 'tier.created', projectId: project.id, tierId, makerId: ref.makerId }, 'tier created');
  return tier;
}

/** Why a tier could not be saved though the form was fine: shown above the form. Nothing was stored. */
export type TierFailure = { formError: string; status: 409 | 502 };
const EDITED_MEANWHILE: TierFailure = { formError: 'This tier’s price was changed in another tab or by another request just now. Reload the page and try again.', status: 409 };
const STRIPE_UNAVAILABLE: TierFailure = { formError: 'We could not reach Stripe to set up the price, so nothing was saved. Please try again in a moment.', status: 502 };

/** A Stripe error (down, timed out, refused) becomes a message; prices already made for this attempt are retired. */
async function stripeFailure(error: unknown, tierId: string, madePriceIds: string[]): Promise<TierFailure> {
  if (!(error instanceof Stripe.errors.StripeError)) throw error;
  logger.warn({ event: 'tier.stripe_failed', tierId, err: error.message, type: error.type }, 'tier not saved: Stripe call failed');
  await retireTierPrices(madePriceIds);
  return STRIPE_UNAVAILABLE;
}

/**
 * Saves a tier. A changed amount gets a new Stripe price and a new active tier_prices row; the
 * old row stays, inactive, for the patrons already paying it. Stripe is called before the
 * transaction (never holding locks across the network); the transaction then checks that the
 * prices it replaces are still the active ones, so two simultaneous edits cannot both win.
 */
export async function updateTier(db: Executor, ref: TierRef, input: TierInput): Promise<Tier | TierFailure | null> {
  const found = await getTierForMaker(db, ref);
  if (!found) return null;
  const { project } = found;
  const current = (await activePrices(db, [ref.tierId])).get(ref.tierId) ?? {};
  const wanted: Record<Interval, number | null> = { month: input.monthlyAmount, year: input.yearlyAmount };

  const replaced: TierPrice[] = [];
  const added: { interval: Interval; amount: number; stripePriceId: string }[] = [];
  const changing = (Object.keys(wanted) as Interval[]).filter((interval) => (current[interval]?.amount ?? null) !== wanted[interval]);
  try {
    const productId = changing.some((interval) => wanted[interval] !== null) ? await ensureStripeProduct(db, project) : null;
    for (const interval of changing) {
      const old = current[interval];
      const amount = wanted[interval];
      if (old) replaced.push(old);
      if (amount !== null && productId) {
        const stripePriceId = await createTierPrice({ productId, tierId: ref.tierId, currency: project.currency, interval, amount, replacing: old?.id ?? null });
        added.push({ interval, amount, stripePriceId });
      }
    }
  } catch (error) {
    return stripeFailure(error, ref.tierId, added.map((price) => price.stripePriceId));
  }

  const result = await db.transaction().execute(async (trx) => {
    await trx.selectFrom('tiers').select('id').where('id', '=', ref.tierId).forUpdate().executeTakeFirstOrThrow();
    const now = (await activePrices(trx, [ref.tierId])).get(ref.tierId) ?? {};
    const unchanged = (['month', 'year'] as const).every((interval) => now[interval]?.id === current[interval]?.id);
    if (!unchanged) return EDITED_MEANWHILE;
    if (replaced.length > 0) {
      await trx.updateTable('tier_prices').set({ active: false }).where('id', 'in', replaced.map((price) => price.id)).execute();
    }
    if (added.length > 0) {
      await trx
        .insertInto('tier_prices')
        .values(added.map((price) => ({ tier_id: ref.tierId, interval: price.interval, amount: price.amount, currency: project.currency, stripe_price_id: price.stripePriceId })))
        .execute();
    }
    const row = await trx
      .updateTable('tiers')
      .set({
        name: input.name,
        description: input.description,
        benefits: JSON.stringify(input.benefits),
        monthly_amount: input.monthlyAmount,
        yearly_amount: input.yearlyAmount,
        patron_limit: input.patronLimit,
        updated_at: new Date(),
      })
      .where('id', '=', ref.tierId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return asTier(row);
  });

  if ('formError' in result) {
    await retireTierPrices(added.map((price) => price.stripePriceId));
    return result;
  }
  await retireTierPrices(replaced.map((price) => price.stripePriceId));
  if (changing.length > 0) {
    logger.info({ event: 'tier.prices_changed', tierId: ref.tierId, makerId: ref.makerId, intervals: changing }, 'tier prices changed');
  }
  return result;
}

/**
 * Moves a tier one place up or down among all of the project's tiers (archived ones keep their
 * place, so unarchiving puts a tier back where it was). Positions are rewritten as 0..n-1 under a
 * lock on the project, so concurrent moves cannot leave two tiers on one position.
 */
export async function moveTier(db: Executor, ref: TierRef, direction: 'up' | 'down'): Promise<boolean> {
  if (!isUuid(ref.tierId) || !isUuid(ref.projectId)) return false;
  return db.transaction().execute(async (trx) => {
    const project = await trx
      .selectFrom('projects')
      .select('id')
      .where('id', '=', ref.projectId)
      .where('maker_id', '=', ref.makerId)
      .forUpdate()
      .executeTakeFirst();
    if (!project) return false;
    const tiers = await trx.selectFrom('tiers').select(['id', 'position']).where('project_id', '=', project.id).orderBy('position').orderBy('created_at').orderBy('id').execute();
    const index = tiers.findIndex((tier) => tier.id === ref.tierId);
    if (index === -1) return false;
    const target = direction === 'up' ? index - 1 : index + 1;
    const order = tiers.map((tier) => tier.id);
    if (target >= 0 && target < order.length) [order[index], order[target]] = [order[target] as string, order[index] as string];
    for (const [position, id] of order.entries()) {
      if (tiers.find((tier) => tier.id === id)?.position !== position) {
        await trx.updateTable('tiers').set({ position, updated_at: new Date() }).where('id', '=', id).execute();
      }
    }
    return true;
  });
}

/** Archived tiers are not offered to new patrons; pledges already on them carry on. */
export async function setTierArchived(db: Executor, ref: TierRef, archived: boolean): Promise<boolean> {
  if (!isUuid(ref.tierId) || !isUuid(ref.projectId)) return false;
  const result = await db
    .updateTable('tiers')
    .set({ archived_at: archived ? new Date() : null, updated_at: new Date() })
    .where('id', '=', ref.tierId)
    .where('project_id', 'in', (eb) => eb.selectFrom('projects').select('id').where('id', '=', ref.projectId).where('maker_id', '=', ref.makerId))
    .executeTakeFirst();
  if (result.numUpdatedRows > 0n) logger.info({ event: archived ? 'tier.archived' : 'tier.unarchived', tierId: ref.tierId, makerId: ref.makerId }, 'tier archive state changed');
  return result.numUpdatedRows > 0n;
}
