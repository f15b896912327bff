import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has run anywhere; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  // Charges of subscription invoices carry no metadata: a charge event finds its invoice here.
  await sql`create index pledge_invoices_charge on pledge_invoices (stripe_charge_id) where stripe_charge_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index pledge_invoices_charge`.execute(db);
}
