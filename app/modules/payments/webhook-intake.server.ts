import type Stripe from 'stripe';
import type { Executor } from '#app/core/db.server.ts';
import { env } from '#app/core/env.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { wakeEventDrain } from './event-queue.server.ts';
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
  // The event row and its processing job commit together: a stored event is always processed.
  // One statement: the row is the queue entry too (see event-queue.server.ts).
  const inserted = await db
    .insertInto('stripe_events')
    .values({
      id: event.id,
      type: event.type,
      livemode: event.livemode,
      api_version: event.api_version,
      account: event.account ?? null,
      object_id: typeof object.id === 'string' ? object.id : null,
      stripe_created_at: new Date(event.created * 1000),
      // The verified bytes as Stripe sent them, not a re-serialisation.
      payload: rawBody.toString('utf8'),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) wakeEventDrain(db);
  logger.info({ event: 'stripe.webhook.received', stripeEventId: event.id, type: event.type, duplicate: !inserted }, 'webhook received');
  return { status: 200, stored: Boolean(inserted) };
}
