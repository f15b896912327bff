import type Stripe from 'stripe';
import type { Database } from '#app/core/db.server.ts';

/**
 * applied: our state now matches Stripe's current object; not_ours: the object carries none of
 * our ids (recorded, nothing else); ignored: an event type (or object) we do not act on.
 */
export type HandlerOutcome = 'applied' | 'not_ours' | 'ignored';

/** Treats the event as a hint: reads the current object from Stripe and applies it idempotently. */
export type StripeEventHandler = (db: Database, event: Stripe.Event) => Promise<HandlerOutcome>;
