import type Stripe from 'stripe';
import { pledgeRef } from '#app/modules/pledges/stripe-objects.ts';
import { refreshSubscription, refreshSubscriptions, type SubscriptionRefresh } from '#app/modules/pledges/sync.server.ts';
import { refreshSet, type StripeEventHandler } from './types.ts';

/**
 * customer.subscription.created|updated|deleted: whatever changed, the current subscription is
 * applied — unless it was read from Stripe after this event was stored (an invoice's refresh
 * reads its subscription too), which already holds whatever the event reports.
 */
export const subscriptionChanged: StripeEventHandler = (db, event, { receivedAt }) => {
  const sub = event.data.object as Stripe.Subscription;
  const ref = pledgeRef(sub.metadata);
  if (!ref) return 'not_ours';
  const item: SubscriptionRefresh = { subscriptionId: sub.id, ref, receivedAt };
  return {
    key: `subscription:${sub.id}`,
    run: () => refreshSubscription(db, sub.id, ref, receivedAt),
    set: refreshSet('subscription', item, (items) => refreshSubscriptions(db, items)),
  };
};
