import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { Database, Executor } from '#app/core/db.server.ts';
import { env } from '#app/core/env.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { findStripeCustomer } from '#app/modules/payments/customers.server.ts';
import { stripe } from '#app/modules/payments/stripe.server.ts';
import { lockTierForClaim } from '#app/modules/tiers/slots.server.ts';
import { formatDay } from './labels.ts';
import { isLive } from './status.ts';
import { applySubscription, lockPledge, type LockedPledge } from './sync.server.ts';

/**
 * The patron's own changes to a pledge. Each runs in one transaction holding the pledge's row
 * lock: make the change at Stripe, then apply the subscription Stripe returns through the same
 * function the webhooks use. Amounts come from our price table by id, never from the form.
 * A Stripe failure rolls everything back and says so.
 */

export type ManageResult = { ok: true; message: string } | { ok: false; status: 404 | 409 | 502; message: string };

const NOT_FOUND: ManageResult = { ok: false, status: 404, message: 'We could not find that pledge.' };
const STRIPE_FAILED: ManageResult = { ok: false, status: 502, message: 'We could not reach our payment provider, so nothing changed. Please try again in a moment.' };

class StripeCallFailed extends Error {}

/** Locks the patron's own pledge (ownership in the query) and checks it can still be changed. */
async function lockOwnLivePledge(trx: Executor, input: { pledgeId: string; patronId: string }): Promise<LockedPledge | ManageResult> {
  const owned = await trx.selectFrom('pledges').select(['id', 'project_id']).where('id', '=', input.pledgeId).where('patron_id', '=', input.patronId).executeTakeFirst();
  if (!owned) return NOT_FOUND;
  const pledge = await lockPledge(trx, { pledgeId: owned.id, projectId: owned.project_id });
  if (!pledge) return NOT_FOUND;
  if (!isLive(pledge.status) || !pledge.stripe_subscription_id) return { ok: false, status: 409, message: 'This pledge is not active, so it cannot be changed.' };
  return pledge;
}

async function callStripe<T>(what: string, pledgeId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    logger.warn({ event: 'pledge.manage.stripe_failed', pledgeId, what, err: (error as Error).message }, 'Stripe refused or failed a pledge change');
    throw new StripeCallFailed(what);
  }
}

async function inTransaction(db: Database, work: (trx: Executor) => Promise<ManageResult>): Promise<ManageResult> {
  try {
    return await db.transaction().execute(work);
  } catch (error) {
    if (error instanceof StripeCallFailed) return STRIPE_FAILED;
    throw error;
  }
}

/**
 * The subscription item at `amount`: the tier's own price when it is that amount, otherwise an
 * inline price on the project's product (a custom amount). Null when neither is possible.
 */
function itemAt(itemId: string, price: { stripePriceId: string; amount: number } | undefined, amount: number, pledge: LockedPledge, productId: string | null): Stripe.SubscriptionUpdateParams.Item | null {
  if (price && amount === price.amount) return { id: itemId, price: price.stripePriceId };
  if (!productId) return null;
  return { id: itemId, price_data: { currency: pledge.currency, product: productId, unit_amount: amount, recurring: { interval: pledge.interval as 'month' | 'year' } } };
}

const CANNOT_PRICE: ManageResult = { ok: false, status: 409, message: 'This change cannot be priced for your pledge right now. Please contact us.' };

/**
 * Moves the pledge to another tier of its project at that tier's price. More money: now, with
 * the prorated difference invoiced and charged at once. Less: Stripe bills the new price from
 * the next renewal (no proration), and the patron keeps the current tier until then.
 * Choosing the current tier again while a downgrade is scheduled calls the downgrade off.
 */
export async function changeTier(db: Database, input: { pledgeId: string; patronId: string; tierId: string }): Promise<ManageResult> {
  return inTransaction(db, async (trx) => {
    const pledge = await lockOwnLivePledge(trx, input);
    if ('ok' in pledge) return pledge;
    if (pledge.cancel_at_period_end) return { ok: false, status: 409, message: 'This pledge is set to end. Keep it first, then change its tier.' };
    const target = await trx
      .selectFrom('tiers')
      .innerJoin('tier_prices', 'tier_prices.tier_id', 'tiers.id')
      .innerJoin('projects', 'projects.id', 'tiers.project_id')
      .select(['tiers.id', 'tiers.name', 'tier_prices.amount', 'tier_prices.stripe_price_id', 'projects.stripe_product_id'])
      .where('tiers.id', '=', input.tierId)
      .where('tiers.project_id', '=', pledge.project_id)
      .where('tiers.archived_at', 'is', null)
      .where('tier_prices.interval', '=', pledge.interval)
      .where('tier_prices.active', '=', true)
      .executeTakeFirst();
    if (!target) return { ok: false, status: 409, message: 'That tier is not open for this pledge.' };
    const price = { stripePriceId: target.stripe_price_id, amount: target.amount };
    const undo = target.id === pledge.tier_id;
    if (undo && !pledge.scheduled_tier_id) return { ok: false, status: 409, message: `You are already on ${target.name}.` };
    if (!undo) {
      const slot = await lockTierForClaim(trx, target.id);
      if (!slot.fits) return { ok: false, status: 409, message: `${target.name} is full. Every place is taken.` };
    }

    const sub = await callStripe('retrieve', pledge.id, () => stripe.subscriptions.retrieve(pledge.stripe_subscription_id as string));
    const item = sub.items.data[0];
    if (!item) return { ok: false, status: 409, message: 'This pledge has nothing to change at Stripe.' };
    // Undoing keeps the amount the patron pays now (which may be a custom one).
    const amount = undo ? pledge.amount : price.amount;
    const upgrade = !undo && amount > pledge.amount;
    const downgrade = !undo && amount < pledge.amount;
    const changed = itemAt(item.id, price, amount, pledge, target.stripe_product_id);
    // Stripe already bills the lower price of a scheduled downgrade: an upgrade first puts back the
    // price paid for this period, so that its proration credits what the patron actually paid.
    let restore: Stripe.SubscriptionUpdateParams.Item | null = null;
    if (upgrade && pledge.scheduled_tier_id) {
      const paid = await trx
        .selectFrom('tier_prices')
        .select(['stripe_price_id as stripePriceId', 'amount'])
        .where('tier_id', '=', pledge.tier_id)
        .where('interval', '=', pledge.interval)
        .where('active', '=', true)
        .executeTakeFirst();
      restore = itemAt(item.id, paid, pledge.amount, pledge, target.stripe_product_id);
      if (!restore) return CANNOT_PRICE;
    }
    if (!changed) return CANNOT_PRICE;

    let current = pledge;
    if (downgrade || undo) {
      // Recorded before Stripe hears of it: whatever webhook arrives next sees a scheduled change, not a new price.
      const scheduled = downgrade ? { tierId: target.id, amount, changeAt: new Date(item.current_period_end * 1000) } : null;
      const schedule = { scheduled_tier_id: scheduled?.tierId ?? null, scheduled_amount: scheduled?.amount ?? null, scheduled_change_at: scheduled?.changeAt ?? null };
      await trx.updateTable('pledges').set(schedule).where('id', '=', pledge.id).execute();
      current = { ...pledge, ...schedule };
    }
    if (restore) {
      const paidItem = restore;
      await callStripe('restore', pledge.id, () =>
        stripe.subscriptions.update(sub.id, { items: [paidItem], proration_behavior: 'none', metadata: { tier_id: pledge.tier_id } }, { idempotencyKey: `pledge-${pledge.id}-restore-${randomUUID()}` }),
      );
    }
    const updated = await callStripe('update', pledge.id, () =>
      stripe.subscriptions.update(
        sub.id,
        { items: [changed], proration_behavior: upgrade ? 'always_invoice' : 'none', metadata: { tier_id: target.id } },
        { idempotencyKey: `pledge-${pledge.id}-tier-${randomUUID()}` },
      ),
    );
    await applySubscription(trx, current, updated);
    logger.info({ event: 'pledge.tier_changed', pledgeId: pledge.id, from: pledge.tier_id, to: target.id, upgrade, downgrade, undo }, 'pledge tier changed');
    if (undo) return { ok: true, message: `You stay on ${target.name}.` };
    if (downgrade) return { ok: true, message: `Changes to ${target.name} on ${formatDay(new Date(item.current_period_end * 1000))}.` };
    return { ok: true, message: `You're now on ${target.name}.${upgrade ? ' The difference for this period has been charged.' : ''}` };
  });
}

/** Cancel at the end of the paid period (benefits until then), or keep a pledge that was set to end. */
export async function setCancellation(db: Database, input: { pledgeId: string; patronId: string; cancel: boolean }): Promise<ManageResult> {
  return inTransaction(db, async (trx) => {
    const pledge = await lockOwnLivePledge(trx, input);
    if ('ok' in pledge) return pledge;
    const subscriptionId = pledge.stripe_subscription_id as string;
    const updated = await callStripe(input.cancel ? 'cancel' : 'resume', pledge.id, () =>
      stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: input.cancel }, { idempotencyKey: `pledge-${pledge.id}-cancel-${input.cancel}-${randomUUID()}` }),
    );
    await applySubscription(trx, pledge, updated);
    const end = updated.items.data[0]?.current_period_end;
    logger.info({ event: input.cancel ? 'pledge.cancel_requested' : 'pledge.cancel_undone', pledgeId: pledge.id }, 'pledge cancellation changed');
    if (!input.cancel) return { ok: true, message: 'Your pledge continues. Thank you!' };
    return { ok: true, message: end ? `Your pledge ends on ${formatDay(new Date(end * 1000))}. You keep your benefits until then.` : 'Your pledge will end at the end of this period.' };
  });
}

/** A Stripe customer portal session (update the card, see invoices); null when the patron never pledged. */
export async function billingPortalUrl(db: Database, patronId: string): Promise<string | null> {
  const customer = await findStripeCustomer(db, patronId);
  if (!customer) return null;
  const session = await stripe.billingPortal.sessions.create({ customer, return_url: `${env().APP_URL}/patron` });
  return session.url;
}
