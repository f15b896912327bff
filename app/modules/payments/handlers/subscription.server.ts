import type Stripe from 'stripe';
import { pledgeRef } from '#app/modules/pledges/stripe-objects.ts';
import { refreshSubscription } from '#app/modules/pledges/sync.server.ts';
import type { StripeEventHandler } from './types.ts';

/** customer.subscription.created|updated|deleted: whatever changed, the current subscription is applied. */
export const subscriptionChanged: StripeEventHandler = (db, event) => {
  const sub = event.data.object as Stripe.Subscription;
  const ref = pledgeRef(sub.metadata);
  if (!ref) return 'not_ours';
  return { key: `subscription:${sub.id}`, run: () => refreshSubscription(db, sub.id, ref) };
};
