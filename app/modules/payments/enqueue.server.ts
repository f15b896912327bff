import type { Executor } from '#app/core/db.server.ts';
import { enqueueJob } from '#app/core/jobs.server.ts';

/** Up to ~30 minutes of graphile-worker's exponential backoff before an event is parked. */
export const EVENT_MAX_ATTEMPTS = 8;

/** Queues processing of a stored event; the job key keeps one pending job per event. */
export async function enqueueStripeEvent(db: Executor, eventId: string): Promise<void> {
  await enqueueJob(db, 'process_stripe_event', { eventId }, { jobKey: `stripe-event:${eventId}`, maxAttempts: EVENT_MAX_ATTEMPTS });
}
