import type Stripe from 'stripe';
import type { Database, Executor } from '#app/core/db.server.ts';
import { env } from '#app/core/env.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { ensureStripeCustomer } from '#app/modules/payments/customers.server.ts';
import { stripe } from '#app/modules/payments/stripe.server.ts';
import { lockTierForClaim } from '#app/modules/tiers/slots.server.ts';
import { formatMoney, parseMajorAmount } from '#app/utils/money.ts';
import { amountLabel } from './labels.ts';

/**
 * A patron joins a tier: a pending pledge holds a place in the tier while Stripe Checkout is
 * open, and the Checkout Session carries the pledge's ids so that the webhook pipeline can make
 * it active once Stripe has the first payment. Nothing here marks a pledge active.
 */

/** Stripe needs expires_at at least 30 minutes after the session is created, a moment after our row. */
const CHECKOUT_MINUTES = 31;

export type JoinInput = {
  patron: { id: string; email: string; displayName: string };
  handle: string;
  slug: string;
  tierId: string;
  interval: 'month' | 'year';
  /** Typed by the patron in major units; empty for the tier's own price. */
  amount?: string;
};

export type JoinResult =
  | { ok: true; pledgeId: string; checkoutUrl: string }
  | { ok: false; status: 400 | 403 | 404 | 409 | 502; message: string; field?: 'tierId' | 'interval' | 'amount' };

const STRIPE_FAILED =
  'We could not reach our payment provider to start your pledge. Nothing was charged and your place was released — please try again in a moment.';

/** The patron's live pledge to a project (one at most: joining again is refused), or undefined. */
export async function findLivePledge(db: Executor, ref: { patronId: string; projectId: string }): Promise<{ id: string; tierId: string } | undefined> {
  return db
    .selectFrom('pledges')
    .select(['id', 'tier_id as tierId'])
    .where('patron_id', '=', ref.patronId)
    .where('project_id', '=', ref.projectId)
    .where('status', 'in', ['active', 'past_due'])
    .executeTakeFirst();
}

export async function startPledge(db: Database, input: JoinInput): Promise<JoinResult> {
  const project = await db
    .selectFrom('projects')
    .innerJoin('users as maker', 'maker.id', 'projects.maker_id')
    .select(['projects.id', 'projects.name', 'projects.slug', 'projects.currency', 'projects.stripe_product_id', 'projects.maker_id', 'maker.handle'])
    .where('maker.handle', '=', input.handle)
    .where('projects.slug', '=', input.slug)
    .executeTakeFirst();
  if (!project) return { ok: false, status: 404, message: 'There is no project at this address.' };
  if (project.maker_id === input.patron.id) return { ok: false, status: 403, message: 'You cannot pledge to your own project.' };

  const tier = await db
    .selectFrom('tiers')
    .leftJoin('tier_prices', (join) =>
      join.onRef('tier_prices.tier_id', '=', 'tiers.id').on('tier_prices.interval', '=', input.interval).on('tier_prices.active', '=', true),
    )
    .select(['tiers.id', 'tiers.name', 'tier_prices.amount as price_amount', 'tier_prices.stripe_price_id'])
    .where('tiers.id', '=', input.tierId)
    .where('tiers.project_id', '=', project.id)
    .where('tiers.archived_at', 'is', null)
    .executeTakeFirst();
  if (!tier) return { ok: false, status: 400, field: 'tierId', message: 'This tier is not open for new patrons.' };
  if (tier.price_amount === null || tier.stripe_price_id === null) {
    return { ok: false, status: 400, field: 'interval', message: `${tier.name} is not offered with ${input.interval === 'year' ? 'yearly' : 'monthly'} billing.` };
  }
  const price = { amount: tier.price_amount, stripePriceId: tier.stripe_price_id };

  let amount = price.amount;
  if (input.amount) {
    const parsed = parseMajorAmount(input.amount, project.currency);
    if (!parsed.ok) return { ok: false, status: 400, field: 'amount', message: parsed.message };
    if (parsed.minor < price.amount) {
      return { ok: false, status: 400, field: 'amount', message: `${tier.name} starts at ${amountLabel(price.amount, project.currency, input.interval)}: enter that or more.` };
    }
    amount = parsed.minor;
  }
  const custom = amount !== price.amount;
  if (custom && !project.stripe_product_id) {
    return { ok: false, status: 409, field: 'amount', message: `Custom amounts are not available for this project yet; pledge ${formatMoney(price.amount, project.currency)} instead.` };
  }

  const live = await findLivePledge(db, { patronId: input.patron.id, projectId: project.id });
  if (live) return { ok: false, status: 409, message: 'You already back this project. Change your tier from your pledges page.' };

  const claimed = await db.transaction().execute(async (trx) => {
    const slot = await lockTierForClaim(trx, tier.id);
    if (!slot.fits) return null;
    // A patron who comes back from Checkout and picks again gives up the earlier place.
    const abandoned = await trx
      .updateTable('pledges')
      .set({ status: 'expired', updated_at: new Date() })
      .where('patron_id', '=', input.patron.id)
      .where('project_id', '=', project.id)
      .where('status', '=', 'pending')
      .returning('stripe_checkout_session_id')
      .execute();
    const pledge = await trx
      .insertInto('pledges')
      .values({
        patron_id: input.patron.id,
        project_id: project.id,
        tier_id: tier.id,
        interval: input.interval,
        amount,
        currency: project.currency,
        status: 'pending',
        checkout_expires_at: new Date(Date.now() + CHECKOUT_MINUTES * 60_000),
        stripe_price_id: custom ? null : price.stripePriceId,
      })
      .returning(['id', 'checkout_expires_at'])
      .executeTakeFirstOrThrow();
    return { pledge, abandoned: abandoned.flatMap((row) => (row.stripe_checkout_session_id ? [row.stripe_checkout_session_id] : [])) };
  });
  if (!claimed) return { ok: false, status: 409, field: 'tierId', message: 'This tier is full. Every place is taken — choose another tier.' };
  const { pledge } = claimed;

  const metadata = { pledge_id: pledge.id, project_id: project.id, tier_id: tier.id };
  const projectUrl = `${env().APP_URL}/@${project.handle}/${project.slug}`;
  const lineItem: Stripe.Checkout.SessionCreateParams.LineItem = custom
    ? {
        quantity: 1,
        price_data: { currency: project.currency, product: project.stripe_product_id as string, unit_amount: amount, recurring: { interval: input.interval } },
      }
    : { quantity: 1, price: price.stripePriceId };
  let session: Stripe.Checkout.Session;
  try {
    const customer = await ensureStripeCustomer(db, input.patron);
    session = await stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        customer,
        client_reference_id: pledge.id,
        line_items: [lineItem],
        metadata,
        subscription_data: { metadata },
        success_url: `${projectUrl}?pledge=${pledge.id}`,
        cancel_url: projectUrl,
        expires_at: Math.floor((pledge.checkout_expires_at as Date).getTime() / 1000),
      },
      { idempotencyKey: `checkout-${pledge.id}` },
    );
    await db
      .updateTable('pledges')
      .set({ stripe_checkout_session_id: session.id, stripe_customer_id: customer, updated_at: new Date() })
      .where('id', '=', pledge.id)
      .execute();
  } catch (error) {
    await db.updateTable('pledges').set({ status: 'expired', updated_at: new Date() }).where('id', '=', pledge.id).where('status', '=', 'pending').execute();
    logger.error({ event: 'pledge.checkout_failed', pledgeId: pledge.id, err: (error as Error).message }, 'could not start Checkout; pledge expired');
    return { ok: false, status: 502, message: STRIPE_FAILED };
  }
  for (const sessionId of claimed.abandoned) {
    // Best effort: were it completed anyway, Stripe's state still wins through the webhook pipeline.
    await stripe.checkout.sessions.expire(sessionId).catch(() => undefined);
  }
  logger.info({ event: 'pledge.started', pledgeId: pledge.id, projectId: project.id, tierId: tier.id, amount, interval: input.interval }, 'pledge checkout started');
  if (!session.url) return { ok: false, status: 502, message: STRIPE_FAILED };
  return { ok: true, pledgeId: pledge.id, checkoutUrl: session.url };
}
