import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has run anywhere; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  // The payload is the verified bytes exactly as Stripe sent them (jsonb re-serialised them: key
  // order, whitespace), and storing text spares Postgres parsing ~5 KB of JSON per webhook at
  // intake. SQL that looks inside casts: payload::jsonb -> 'data'.
  await sql`alter table stripe_events alter column payload type text using payload::text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table stripe_events alter column payload type jsonb using payload::jsonb`.execute(db);
}
