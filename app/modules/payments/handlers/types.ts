import type Stripe from 'stripe';
import type { Database } from '#app/core/db.server.ts';

/**
 * applied: our state now matches Stripe's current object; not_ours: the object carries none of
 * our ids (recorded, nothing else); ignored: an event type (or object) we do not act on.
 */
export type HandlerOutcome = 'applied' | 'not_ours' | 'ignored';

/**
 * Refreshes of one kind that can run as a set: `runAll` takes the items of every such refresh
 * in a batch and returns one result per item (an error stays that item's own).
 */
export type RefreshSet = { name: string; item: unknown; runAll: (items: unknown[]) => Promise<(HandlerOutcome | Error)[]> };

/** Names the set a refresh belongs to (typed at the call, erased for the drain). */
export function refreshSet<Item>(name: string, item: Item, runAll: (items: Item[]) => Promise<(HandlerOutcome | Error)[]>): RefreshSet {
  return { name, item, runAll: runAll as (items: unknown[]) => Promise<(HandlerOutcome | Error)[]> };
}

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
  /** The refresh on its own (a replay; the fallback when its set fails as a whole). */
  run: () => Promise<HandlerOutcome>;
  /** The same refresh as part of a set, when the drain has several of its kind. */
  set?: RefreshSet;
};

/** About the stored event: when it was received (null when a person replays it: always read). */
export type EventContext = { receivedAt: Date | null };

/** Reads our ids from the event: an outcome at once (not ours, ignored) or the refresh it asks for. */
export type StripeEventHandler = (db: Database, event: Stripe.Event, context: EventContext) => HandlerOutcome | Refresh;
