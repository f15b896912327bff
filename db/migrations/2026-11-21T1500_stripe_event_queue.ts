import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has run anywhere; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  // stripe_events is its own work queue: workers lease unprocessed rows (SKIP LOCKED), retry
  // failures at next_attempt_at, and park them after the last attempt. A job per event cost
  // a NOTIFY per webhook, which serialises commits and capped intake at a fraction of an insert.
  await db.schema
    .alterTable('stripe_events')
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('locked_until', 'timestamptz')
    .execute();
  await sql`create index stripe_events_pending on stripe_events (received_at) where processed_at is null and parked_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index stripe_events_pending`.execute(db);
  await db.schema.alterTable('stripe_events').dropColumn('next_attempt_at').dropColumn('locked_until').execute();
}
