import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has run anywhere; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('pledges')
    // A downgrade is made at Stripe at once (no proration, so the next invoice bills the new price)
    // but the patron keeps the tier they paid for until this moment, the end of the paid period.
    .addColumn('scheduled_change_at', 'timestamptz')
    .execute();

  await db.schema
    .alterTable('pledge_invoices')
    // The platform fee rate the ledger was posted with, so a later recomputation of the
    // breakdown (when Stripe's fee arrives) uses the same rate even if the configuration changed.
    .addColumn('platform_fee_basis_points', 'integer')
    // The last payment attempt the patron was told about (payment failed / needs action): one email per attempt.
    .addColumn('notified_attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // The patron page lists receipts per pledge, newest first.
  await sql`create index pledge_invoices_pledge_paid on pledge_invoices (pledge_id, paid_at desc) where status = 'paid'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index pledge_invoices_pledge_paid`.execute(db);
  await db.schema.alterTable('pledge_invoices').dropColumn('notified_attempt').dropColumn('platform_fee_basis_points').execute();
  await db.schema.alterTable('pledges').dropColumn('scheduled_change_at').execute();
}
