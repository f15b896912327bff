import { sql } from 'kysely';
import type { Database, Executor } from '#app/core/db.server.ts';
import { enqueueJob } from '#app/core/jobs.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { mapLimit } from '#app/utils/map-limit.ts';
import { stripeEventHandlers } from './handlers/index.server.ts';
import type { HandlerOutcome, Refresh, RefreshSet } from './handlers/types.ts';
import { describeError, readEvent, recordFailure, recordProcessed } from './process-event.server.ts';

/**
 * Stored Stripe events are their own queue. Intake is one insert; a drain job leases
 * pending events in batches (SKIP LOCKED, so any number of workers on any number of
 * servers share the work without overlap), processes them, and schedules itself again
 * for the earliest retry. A worker that dies mid-batch loses only its lease.
 *
 * Events are hints, so a batch needs each refresh they ask for once: a renewal's
 * invoice.paid, customer.subscription.updated and charge.succeeded come down to one read of
 * the invoice (with its subscription and payment) under the pledge's lock.
 */
export const EVENT_MAX_ATTEMPTS = 8;
const LEASE_SECONDS = 120;
/**
 * Large enough that a renewal wave's invoices are one set, read as a few pages of a list, and
 * that its subscription events ride on their invoices' refreshes in the same batch. Against live
 * Stripe's test-mode 25 reads/s, a batch whose lists miss (~700 refreshes read object by object)
 * still fits its lease.
 */
const BATCH_SIZE = 2000;
/** Refreshes that run alone, at once. */
const PARALLEL = 4;
/** A set of refreshes runs in parts of at most this many (one transaction each, its pledges locked throughout), two at once. */
const SET_PART = 500;
const SET_PARTS_PARALLEL = 2;

type Leased = { id: string; type: string; attempts: number; payload: string; received_at: Date };

async function leaseEvents(db: Executor, limit: number): Promise<Leased[]> {
  const { rows } = await sql<Leased>`
    update stripe_events set locked_until = now() + make_interval(secs => ${LEASE_SECONDS})
    where id in (
      select id from stripe_events
      where processed_at is null and parked_at is null
        and (next_attempt_at is null or next_attempt_at <= now())
        and (locked_until is null or locked_until < now())
      order by (type like 'customer.subscription.%'), received_at
      limit ${limit}
      for update skip locked
    )
    returning id, type, attempts, payload, received_at`.execute(db);
  return rows;
}

/**
 * Events of types we have no handler for are stored as 'ignored' by intake; this records any
 * still pending (stored before their type lost its handler, say) in one statement.
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

type Result = { outcome: HandlerOutcome } | { error: unknown };

/**
 * One batch: each event's handler names the refresh it needs; each refresh runs once (a refresh
 * that another one covers rides on it), charges last; every event then gets its refresh's result.
 */
async function processBatch(db: Database, batch: Leased[]): Promise<void> {
  const results = new Map<Leased, Result>();
  const refreshes = new Map<string, { refresh: Refresh; events: Leased[] }>();
  for (const event of batch) {
    try {
      const read = readEvent(db, event.type, event.payload, event.received_at);
      if (typeof read === 'string') results.set(event, { outcome: read });
      else {
        const entry = refreshes.get(read.key) ?? { refresh: read, events: [] };
        entry.events.push(event);
        refreshes.set(read.key, entry);
      }
    } catch (error) {
      results.set(event, { error });
    }
  }

  const coveredBy = new Map<string, string>();
  for (const [key, { refresh }] of refreshes) for (const covered of refresh.covers ?? []) if (covered !== key && !coveredBy.has(covered)) coveredBy.set(covered, key);
  const own = [...refreshes.values()].map((entry) => entry.refresh).filter((refresh) => !coveredBy.has(refresh.key));
  const outcomes = await runRefreshes(own.filter((refresh) => !refresh.late));
  for (const [key, result] of await runRefreshes(own.filter((refresh) => refresh.late))) outcomes.set(key, result);
  for (const [key, { events }] of refreshes) {
    const result = outcomes.get(key) ?? outcomes.get(coveredBy.get(key) as string);
    for (const event of events) results.set(event, result ?? { error: new Error(`refresh ${key} did not run`) });
  }

  const done: { id: string; outcome: HandlerOutcome }[] = [];
  for (const [event, result] of results) {
    if ('outcome' in result) done.push({ id: event.id, outcome: result.outcome });
    else await recordFailure(db, event, result.error, { mode: 'job', attempt: event.attempts + 1, maxAttempts: EVENT_MAX_ATTEMPTS });
  }
  await recordProcessed(db, done);
  logger.info({ event: 'stripe.events.processed', events: batch.length, refreshes: outcomes.size, failed: batch.length - done.length }, 'stripe events processed');
}

function settle(outcome: HandlerOutcome | Error): Result {
  return outcome instanceof Error ? { error: outcome } : { outcome };
}

/**
 * Runs refreshes: those of one set (all invoices of the batch, say) together, in parts of one
 * transaction each; the rest one by one. A part that fails as a whole (a database error) is run
 * again refresh by refresh, so one bad object costs only its own events a retry.
 */
async function runRefreshes(refreshes: Refresh[]): Promise<Map<string, Result>> {
  const outcomes = new Map<string, Result>();
  const alone = async (refresh: Refresh) => {
    outcomes.set(refresh.key, await refresh.run().then((outcome) => ({ outcome }), (error: unknown) => ({ error })));
  };
  const sets = new Map<string, Refresh[]>();
  const singles: Refresh[] = [];
  for (const refresh of refreshes) {
    if (refresh.set) sets.set(refresh.set.name, [...(sets.get(refresh.set.name) ?? []), refresh]);
    else singles.push(refresh);
  }
  const parts = [...sets.values()].flatMap((members) => (members.length === 1 ? [] : chunk(members, SET_PART)));
  for (const members of sets.values()) if (members.length === 1) singles.push(...members);
  await Promise.all([
    mapLimit(parts, SET_PARTS_PARALLEL, async (part) => {
      const first = part[0]?.set as RefreshSet;
      try {
        const results = await first.runAll(part.map((refresh) => (refresh.set as RefreshSet).item));
        part.forEach((refresh, i) => outcomes.set(refresh.key, settle(results[i] ?? new Error(`no result for ${refresh.key}`))));
      } catch (error) {
        logger.warn({ event: 'stripe.events.set_failed', set: first.name, refreshes: part.length, error: describeError(error) }, 'a set of refreshes failed; running them one by one');
        await mapLimit(part, PARALLEL, alone);
      }
    }),
    mapLimit(singles, PARALLEL, alone),
  ]);
  return outcomes;
}

function chunk<T>(items: T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

/** Processes every due event; returns how many were handled. Failures are recorded on the event, never thrown. */
export async function drainStripeEvents(db: Database): Promise<number> {
  let handled = await ignoreUnhandled(db);
  for (;;) {
    const batch = await leaseEvents(db, BATCH_SIZE);
    if (batch.length === 0) break;
    await processBatch(db, batch);
    handled += batch.length;
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
