import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has run anywhere; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  // When our copy of the pledge's subscription was last read from Stripe (the reading
  // transaction's start): a subscription event stored before then has nothing to add.
  await db.schema.alterTable('pledges').addColumn('stripe_synced_at', 'timestamptz').execute();
  // The drain takes subscription events after the others due with them: an invoice's refresh
  // reads its subscription too, and most subscription events then need no read of their own.
  await sql`drop index stripe_events_pending`.execute(db);
  await sql`
    create index stripe_events_pending on stripe_events ((type like 'customer.subscription.%'), received_at)
    where processed_at is null and parked_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index stripe_events_pending`.execute(db);
  await sql`create index stripe_events_pending on stripe_events (received_at) where processed_at is null and parked_at is null`.execute(db);
  await db.schema.alterTable('pledges').dropColumn('stripe_synced_at').execute();
}
