import type { Executor } from '#app/core/db.server.ts';
import { stripe } from './stripe.server.ts';

/**
 * The patron's Stripe customer, created once: the idempotency key is the user id, so a retry
 * (or a concurrent first pledge) gets the same customer, and the first stored row wins.
 */
export async function ensureStripeCustomer(db: Executor, user: { id: string; email: string; displayName: string }): Promise<string> {
  const existing = await db.selectFrom('stripe_customers').select('stripe_customer_id').where('user_id', '=', user.id).executeTakeFirst();
  if (existing) return existing.stripe_customer_id;
  const customer = await stripe.customers.create(
    { email: user.email, name: user.displayName, metadata: { user_id: user.id } },
    { idempotencyKey: `customer-${user.id}` },
  );
  await db
    .insertInto('stripe_customers')
    .values({ user_id: user.id, stripe_customer_id: customer.id })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
  const stored = await db.selectFrom('stripe_customers').select('stripe_customer_id').where('user_id', '=', user.id).executeTakeFirstOrThrow();
  return stored.stripe_customer_id;
}

/** The patron's existing Stripe customer, if they ever started a pledge. */
export async function findStripeCustomer(db: Executor, userId: string): Promise<string | null> {
  const row = await db.selectFrom('stripe_customers').select('stripe_customer_id').where('user_id', '=', userId).executeTakeFirst();
  return row?.stripe_customer_id ?? null;
}
