import type Stripe from 'stripe';
import type { Database } from '#app/core/db.server.ts';

/**
 * applied: our state now matches Stripe's current object; not_ours: the object carries none of
 * our ids (recorded, nothing else); ignored: an event type (or object) we do not act on.
 */
export type HandlerOutcome = 'applied' | 'not_ours' | 'ignored';

/**
 * What an event asks for: a refresh of one of our records from Stripe's current objects. The
 * event is only a hint, so two events asking for the same refresh (same `key`) need it once:
 * the drain runs each key once per batch, after every event in it was stored.
 */
export type Refresh = {
  /** Identifies the refresh, e.g. `invoice:in_123`. */
  key: string;
  /** Other refreshes this one includes (an invoice's refresh applies its subscription too). */
  covers?: string[];
  /** Runs after the batch's other refreshes, which may have answered it already (charges). */
  late?: boolean;
  run: () => Promise<HandlerOutcome>;
};

/** Reads our ids from the event: an outcome at once (not ours, ignored) or the refresh it asks for. */
export type StripeEventHandler = (db: Database, event: Stripe.Event) => HandlerOutcome | Refresh;
