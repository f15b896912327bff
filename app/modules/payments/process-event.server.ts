import { sql } from 'kysely';
import type Stripe from 'stripe';
import type { Database, Executor } from '#app/core/db.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { stripeEventHandlers } from './handlers/index.server.ts';
import type { HandlerOutcome, Refresh } from './handlers/types.ts';
import { retryDelayMs } from './retry.ts';

/**
 * The slow half of the webhook pipeline: a stored event is handed to the handler for its type.
 * The event drain (event-queue.server.ts) does this for batches; `processStripeEvent` does it
 * for one event (npm run stripe:replay). A failure is retried with backoff; on the last attempt
 * the event is parked (parked_at, last_error, an error-level alert) for a person to look at and
 * replay — never dropped.
 */

export type ProcessOutcome = HandlerOutcome | 'parked' | 'already_processed' | 'missing';

export type ProcessOptions =
  /** From the event drain: this is `attempt` of `maxAttempts`. */
  | { mode: 'job'; attempt: number; maxAttempts: number }
  /** By a person (`npm run stripe:replay`): always runs, and a failure is reported, not parked. */
  | { mode: 'replay' };

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * What the event's handler makes of it: an outcome at once, or the refresh it asks for.
 * `receivedAt` is when it was stored; null (a replay) asks for a fresh read whatever we hold.
 */
export function readEvent(db: Database, type: string, payload: string, receivedAt: Date | null): HandlerOutcome | Refresh {
  const handler = stripeEventHandlers[type];
  return handler ? handler(db, JSON.parse(payload) as Stripe.Event, { receivedAt }) : 'ignored';
}

/** Marks events processed, in one statement (two array parameters however many). */
export async function recordProcessed(db: Executor, done: { id: string; outcome: HandlerOutcome }[]): Promise<void> {
  if (done.length === 0) return;
  await sql`
    update stripe_events set processed_at = now(), outcome = done.outcome, attempts = attempts + 1,
      last_error = null, parked_at = null, next_attempt_at = null, locked_until = null
    from unnest(${done.map((entry) => entry.id)}::text[], ${done.map((entry) => entry.outcome)}::text[]) as done (id, outcome)
    where stripe_events.id = done.id`.execute(db);
}

/** Records a failed attempt: retried later with backoff, or parked after the last one. Returns whether it was parked. */
export async function recordFailure(db: Executor, event: { id: string; type: string }, error: unknown, options: ProcessOptions): Promise<boolean> {
  const message = describeError(error);
  const park = options.mode === 'job' && options.attempt >= options.maxAttempts;
  await db
    .updateTable('stripe_events')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: message,
      locked_until: null,
      ...(park ? { parked_at: new Date(), outcome: 'parked', next_attempt_at: null } : {}),
      ...(!park && options.mode === 'job' ? { next_attempt_at: new Date(Date.now() + retryDelayMs(options.attempt)) } : {}),
    }))
    .where('id', '=', event.id)
    .execute();
  if (park) {
    logger.error({ event: 'stripe.event.parked', stripeEventId: event.id, type: event.type, error: message }, 'stripe event parked after its last attempt; replay it once fixed');
  } else {
    logger.warn({ event: 'stripe.event.failed', stripeEventId: event.id, type: event.type, error: message, ...(options.mode === 'job' ? { attempt: options.attempt } : {}) }, 'stripe event failed; will retry');
  }
  return park;
}

export async function processStripeEvent(db: Database, eventId: string, options: ProcessOptions): Promise<ProcessOutcome> {
  const row = await db.selectFrom('stripe_events').select(['id', 'type', 'payload', 'processed_at', 'received_at']).where('id', '=', eventId).executeTakeFirst();
  if (!row) return 'missing';
  // A job for an event that a replay (or an earlier run) already processed has nothing to add.
  if (row.processed_at && options.mode === 'job') return 'already_processed';
  const started = Date.now();
  try {
    // Replays always read Stripe again; the drain's jobs may use what a later read applied.
    const read = readEvent(db, row.type, row.payload, options.mode === 'replay' ? null : row.received_at);
    const outcome = typeof read === 'string' ? read : await read.run();
    await recordProcessed(db, [{ id: eventId, outcome }]);
    logger.info({ event: 'stripe.event.processed', stripeEventId: eventId, type: row.type, outcome, ms: Date.now() - started }, 'stripe event processed');
    return outcome;
  } catch (error) {
    if (await recordFailure(db, row, error, options)) return 'parked';
    throw error;
  }
}
