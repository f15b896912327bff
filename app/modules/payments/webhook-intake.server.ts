import type Stripe from 'stripe';
import type { Insertable } from 'kysely';
import type { Executor } from '#app/core/db.server.ts';
import { env } from '#app/core/env.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { createBatcher } from '#app/utils/batcher.ts';
import type { StripeEvents } from '#db/schema.ts';
import { wakeEventDrain } from './event-queue.server.ts';
import { stripeEventHandlers } from './handlers/index.server.ts';
import { isLivemode } from './stripe.server.ts';
import { verifyStripeEvent, WebhookSignatureError } from './webhook-signature.server.ts';

export type IntakeResult = { status: 200; stored: boolean } | { status: 400; message: string };

/**
 * The fast half of the webhook pipeline: verify on the raw bytes, store the
 * event once (`on conflict do nothing` on its id, so duplicates and concurrent
 * copies collapse into one row), answer. Nothing is stored for a bad request.
 */
export async function receiveStripeWebhook(db: Executor, rawBody: Buffer, signatureHeader: string | null): Promise<IntakeResult> {
  let event: Stripe.Event;
  try {
    event = verifyStripeEvent(rawBody, signatureHeader, env().STRIPE_WEBHOOK_SECRETS);
  } catch (error) {
    if (error instanceof WebhookSignatureError) {
      logger.warn({ event: 'stripe.webhook.rejected', reason: error.message }, 'webhook rejected');
      return { status: 400, message: error.message };
    }
    throw error;
  }
  if (event.livemode !== isLivemode()) {
    logger.warn({ event: 'stripe.webhook.rejected', stripeEventId: event.id, livemode: event.livemode }, 'webhook livemode mismatch');
    return { status: 400, message: `Event livemode ${event.livemode} does not match this server's Stripe key.` };
  }
  const object = event.data.object as { id?: string };
  // Most of what Stripe sends (invoice.created, payment_intent.*, …) has no handler: stored as
  // already processed, it never enters the queue, and the drain never has to touch it.
  const handled = Object.hasOwn(stripeEventHandlers, event.type);
  const stored = await storeEvent(db, {
    id: event.id,
    type: event.type,
    livemode: event.livemode,
    api_version: event.api_version,
    account: event.account ?? null,
    object_id: typeof object.id === 'string' ? object.id : null,
    stripe_created_at: new Date(event.created * 1000),
    // The verified bytes as Stripe sent them, not a re-serialisation.
    payload: rawBody.toString('utf8'),
    processed_at: handled ? null : new Date(),
    outcome: handled ? null : 'ignored',
  });
  if (stored && handled) wakeEventDrain(db);
  logger.info({ event: 'stripe.webhook.received', stripeEventId: event.id, type: event.type, duplicate: !stored }, 'webhook received');
  return { status: 200, stored };
}

type NewEvent = Insertable<StripeEvents> & { id: string };

/**
 * Events stored together: concurrent deliveries share one multi-row insert and one commit
 * (group commit), so intake costs Postgres one round trip per batch, not per event, and each
 * request still answers only once its own row is committed. One batcher per pool.
 */
const batchers = new WeakMap<Executor, (event: NewEvent) => Promise<boolean>>();

function storeEvent(db: Executor, event: NewEvent): Promise<boolean> {
  let store = batchers.get(db);
  if (!store) {
    store = createBatcher<NewEvent, boolean>({ maxBatchSize: 200, maxConcurrent: 4, run: (events) => insertEvents(db, events) });
    batchers.set(db, store);
  }
  return store(event);
}

/** True for each event this insert stored; false for one already stored, or an earlier copy in the same batch. */
async function insertEvents(db: Executor, events: NewEvent[]): Promise<boolean[]> {
  const unique = [...new Map(events.map((event) => [event.id, event])).values()];
  const rows = await db
    .insertInto('stripe_events')
    .values(unique)
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .execute();
  const inserted = new Set(rows.map((row) => row.id));
  return events.map((event) => inserted.delete(event.id));
}
