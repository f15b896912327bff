import type Stripe from 'stripe';
import type { Database } from '#app/core/db.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { stripeEventHandlers } from './handlers/index.server.ts';
import type { HandlerOutcome } from './handlers/types.ts';
import { retryDelayMs } from './retry.ts';

/**
 * The slow half of the webhook pipeline (run by the event drain, event-queue.server.ts): loads a
 * stored event and hands it to the handler for its type. A failure is retried with backoff;
 * on the last attempt the event is parked (parked_at, last_error, an error-level alert) for a
 * person to look at and replay — never dropped.
 */

export type ProcessOutcome = HandlerOutcome | 'parked' | 'already_processed' | 'missing';

export type ProcessOptions =
  /** From the event drain: this is `attempt` of `maxAttempts`. */
  | { mode: 'job'; attempt: number; maxAttempts: number }
  /** By a person (`npm run stripe:replay`): always runs, and a failure is reported, not parked. */
  | { mode: 'replay' };

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export async function processStripeEvent(db: Database, eventId: string, options: ProcessOptions): Promise<ProcessOutcome> {
  const row = await db.selectFrom('stripe_events').select(['id', 'type', 'payload', 'processed_at']).where('id', '=', eventId).executeTakeFirst();
  if (!row) return 'missing';
  // A job for an event that a replay (or an earlier run) already processed has nothing to add.
  if (row.processed_at && options.mode === 'job') return 'already_processed';
  const event = JSON.parse(row.payload) as Stripe.Event;
  const handler = stripeEventHandlers[row.type];
  const started = Date.now();
  try {
    const outcome: HandlerOutcome = handler ? await handler(db, event) : 'ignored';
    await db
      .updateTable('stripe_events')
      .set((eb) => ({ processed_at: new Date(), outcome, attempts: eb('attempts', '+', 1), last_error: null, parked_at: null, next_attempt_at: null }))
      .where('id', '=', eventId)
      .execute();
    logger.info({ event: 'stripe.event.processed', stripeEventId: eventId, type: row.type, outcome, ms: Date.now() - started }, 'stripe event processed');
    return outcome;
  } catch (error) {
    const message = describe(error);
    const park = options.mode === 'job' && options.attempt >= options.maxAttempts;
    await db
      .updateTable('stripe_events')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: message,
        ...(park ? { parked_at: new Date(), outcome: 'parked', next_attempt_at: null } : {}),
        ...(!park && options.mode === 'job' ? { next_attempt_at: new Date(Date.now() + retryDelayMs(options.attempt)) } : {}),
      }))
      .where('id', '=', eventId)
      .execute();
    if (park) {
      logger.error({ event: 'stripe.event.parked', stripeEventId: eventId, type: row.type, error: message }, 'stripe event parked after its last attempt; replay it once fixed');
      return 'parked';
    }
    logger.warn({ event: 'stripe.event.failed', stripeEventId: eventId, type: row.type, error: message, ...(options.mode === 'job' ? { attempt: options.attempt } : {}) }, 'stripe event failed; will retry');
    throw error;
  }
}
