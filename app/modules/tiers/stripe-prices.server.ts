import { logger } from '#app/core/logger.server.ts';
import { stripe } from '#app/modules/payments/stripe.server.ts';

export type Interval = 'month' | 'year';

/**
 * A recurring Stripe price for one tier and interval. Stripe prices are immutable, so every new
 * amount is a new price. The idempotency key names what this price replaces (the tier_prices row,
 * or "first") and its amount: a retry of the same edit gets the same price back, while a later
 * edit back to an earlier amount (5 → 6 → 5) is a different request and a new price.
 */
export async function createTierPrice(input: {
  productId: string;
  tierId: string;
  currency: string;
  interval: Interval;
  amount: number;
  replacing: string | null;
}): Promise<string> {
  const price = await stripe.prices.create(
    {
      product: input.productId,
      currency: input.currency,
      unit_amount: input.amount,
      recurring: { interval: input.interval },
      metadata: { tier_id: input.tierId },
    },
    { idempotencyKey: `tier-price-${input.tierId}-${input.interval}-${input.replacing ?? 'first'}-${input.amount}` },
  );
  return price.id;
}

/**
 * Archives a Stripe price no new pledge may use. Subscriptions already on it keep billing at it
 * (Stripe allows that), which is what "existing patrons keep their price" means. Our tier_prices
 * row is the truth; a failure here is logged and leaves only a stale, unused price in Stripe.
 */
export async function retireTierPrices(priceIds: readonly string[]): Promise<void> {
  for (const priceId of priceIds) {
    await stripe.prices.update(priceId, { active: false }).catch((error: unknown) => {
      logger.warn({ event: 'tier.stripe_price_retire_failed', priceId, err: (error as Error).message }, 'Stripe price not archived');
    });
  }
}
