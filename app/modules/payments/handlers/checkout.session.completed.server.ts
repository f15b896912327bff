import type Stripe from 'stripe';
import { pledgeRef } from '#app/modules/pledges/stripe-objects.ts';
import { refreshCheckoutSession } from '#app/modules/pledges/sync.server.ts';
import type { StripeEventHandler } from './types.ts';

/** Links the session's subscription to its pledge (no money moves here; invoice.paid posts it). */
export const checkoutSessionCompleted: StripeEventHandler = (db, event) => {
  const session = event.data.object as Stripe.Checkout.Session;
  const ref = pledgeRef(session.metadata);
  if (!ref || session.mode !== 'subscription') return 'not_ours';
  return { key: `checkout_session:${session.id}`, run: () => refreshCheckoutSession(db, session.id, ref) };
};
