import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has run anywhere; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  // The deferred balance checks run once per entry and per transaction at commit, with plans
  // that PL/pgSQL caches per connection. A plan cached while the ledger was small scans the
  // whole table; until autovacuum re-analyses it, a commit of a few thousand entries then spent
  // seconds on CPU (seen in the processing bench: 7 s). Each check looks up one transaction's
  // entries, or one account, by an index: tell the planner not to consider anything else.
  await sql`alter function ledger_check_entry() set enable_seqscan = off`.execute(db);
  await sql`alter function ledger_check_transaction() set enable_seqscan = off`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter function ledger_check_entry() reset enable_seqscan`.execute(db);
  await sql`alter function ledger_check_transaction() reset enable_seqscan`.execute(db);
}
