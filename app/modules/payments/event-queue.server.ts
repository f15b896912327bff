import { sql } from 'kysely';
import type { Database, Executor } from '#app/core/db.server.ts';
import { enqueueJob } from '#app/core/jobs.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { stripeEventHandlers } from './handlers/index.server.ts';
import { processStripeEvent } from './process-event.server.ts';

/**
 * Stored Stripe events are their own queue. Intake is one insert; a drain job leases
 * pending events in batches (SKIP LOCKED, so any number of workers on any number of
 * servers share the work without overlap), processes them, and schedules itself again
 * for the earliest retry. A worker that dies mid-batch loses only its lease.
 */
export const EVENT_MAX_ATTEMPTS = 8;
const LEASE_SECONDS = 120;
const BATCH_SIZE = 25;
const PARALLEL = 4;

async function leaseEvents(db: Executor, limit: number): Promise<{ id: string; attempts: number }[]> {
  const { rows } = await sql<{ id: string; attempts: number }>`
    update stripe_events set locked_until = now() + make_interval(secs => ${LEASE_SECONDS})
    where id in (
      select id from stripe_events
      where processed_at is null and parked_at is null
        and (next_attempt_at is null or next_attempt_at <= now())
        and (locked_until is null or locked_until < now())
      order by received_at
      limit ${limit}
      for update skip locked
    )
    returning id, attempts`.execute(db);
  return rows;
}

/**
 * Events of types we have no handler for are recorded as 'ignored' in one statement: most of
 * a renewal's events (invoice.created, finalized, payment_intent.*, …) need no work, and
 * leasing them one by one cost more than the events that matter.
 */
async function ignoreUnhandled(db: Executor): Promise<number> {
  const handled = Object.keys(stripeEventHandlers);
  const result = await db
    .updateTable('stripe_events')
    .set((eb) => ({ processed_at: new Date(), outcome: 'ignored', attempts: eb('attempts', '+', 1) }))
    .where('processed_at', 'is', null)
    .where('parked_at', 'is', null)
    .where('type', 'not in', handled)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Processes every due event; returns how many were handled. Failures are recorded on the event, never thrown. */
export async function drainStripeEvents(db: Database): Promise<number> {
  let handled = await ignoreUnhandled(db);
  for (;;) {
    const batch = await leaseEvents(db, BATCH_SIZE);
    if (batch.length === 0) break;
    const queue = [...batch];
    await Promise.all(
      Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          try {
            await processStripeEvent(db, next.id, { mode: 'job', attempt: next.attempts + 1, maxAttempts: EVENT_MAX_ATTEMPTS });
          } catch {
            // Recorded on the event (last_error, next_attempt_at) by processStripeEvent.
          } finally {
            await db.updateTable('stripe_events').set({ locked_until: null }).where('id', '=', next.id).execute();
          }
          handled += 1;
        }
      }),
    );
  }
  await scheduleRetries(db);
  return handled;
}

async function scheduleRetries(db: Executor): Promise<void> {
  const next = await db
    .selectFrom('stripe_events')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('processed_at', 'is', null)
    .where('parked_at', 'is', null)
    .where('next_attempt_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  if (next?.at) await enqueueJob(db, 'drain_stripe_events', {}, { jobKey: 'stripe-events-retry', runAt: new Date(next.at) });
}

let wakeTimer: NodeJS.Timeout | null = null;

/**
 * Called after an event is stored: queues one drain job for everything stored in the next
 * 50 ms (trailing, so every committed event is followed by a wake-up). Queuing a job is an
 * upsert and a NOTIFY; at thousands of webhooks a second, doing it more often cost intake a
 * tenth of its rate. A crash before the timer fires is covered by the per-minute cron drain.
 */
export function wakeEventDrain(db: Executor): void {
  if (wakeTimer) return;
  wakeTimer = setTimeout(() => {
    wakeTimer = null;
    enqueueJob(db, 'drain_stripe_events', {}, { jobKey: 'stripe-events-drain' }).catch((error: unknown) => {
      logger.error({ event: 'stripe.event.wake_failed', error: String(error) }, 'could not queue the Stripe event drain; the cron drain will pick the events up');
    });
  }, 50);
  wakeTimer.unref();
}
