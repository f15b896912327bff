import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has run anywhere; add a new one.
// The double-entry ledger. Amounts are integer minor units: positive = debit, negative = credit.
// Balances are sums of entries (no balance columns); rows are never updated or deleted, a
// correction is a reversing transaction.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ledger_accounts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // e.g. stripe_balance:usd, platform_revenue:usd, maker_payable:<maker user id>:usd
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('asset', 'liability', 'revenue', 'expense')`))
    .addColumn('currency', sql`char(3)`, (c) => c.notNull().check(sql`currency ~ '^[a-z]{3}$'`))
    .addColumn('maker_id', 'uuid', (c) => c.references('users.id').onDelete('restrict'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('ledger_accounts_code_currency', sql`right(code, 4) = ':' || currency`)
    // A maker's account names its maker in the code, so the code alone identifies it.
    .addCheckConstraint(
      'ledger_accounts_code_maker',
      sql`(maker_id is null and left(code, 14) <> 'maker_payable:') or (maker_id is not null and code = 'maker_payable:' || maker_id::text || ':' || currency)`,
    )
    .execute();
  await db.schema.createIndex('ledger_accounts_maker').on('ledger_accounts').column('maker_id').where('maker_id', 'is not', null).execute();

  await db.schema
    .createTable('ledger_transactions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // The caller's idempotency key, e.g. invoice_paid:in_123.
    .addColumn('reference', 'text', (c) => c.notNull().unique().check(sql`reference <> ''`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind <> ''`))
    .addColumn('stripe_object_id', 'text', (c) => c.check(sql`stripe_object_id <> ''`))
    .addColumn('pledge_id', 'uuid', (c) => c.references('pledges.id').onDelete('restrict'))
    .addColumn('project_id', 'uuid', (c) => c.references('projects.id').onDelete('restrict'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Invariant 3: one Stripe object → at most one ledger transaction of each kind, so duplicated
    // or concurrent events cannot double-count.
    .addUniqueConstraint('ledger_transactions_kind_stripe_object_key', ['kind', 'stripe_object_id'])
    .execute();
  await db.schema.createIndex('ledger_transactions_pledge').on('ledger_transactions').column('pledge_id').where('pledge_id', 'is not', null).execute();
  await db.schema.createIndex('ledger_transactions_project').on('ledger_transactions').column('project_id').where('project_id', 'is not', null).execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('transaction_id', 'uuid', (c) => c.notNull().references('ledger_transactions.id').onDelete('restrict'))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('ledger_accounts.id').onDelete('restrict'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount <> 0`))
    .addColumn('currency', sql`char(3)`, (c) => c.notNull().check(sql`currency ~ '^[a-z]{3}$'`))
    .execute();
  // Balances are sums: the amount rides along in the index so a balance is an index-only scan.
  await sql`create index ledger_entries_account on ledger_entries (account_id) include (amount)`.execute(db);
  await db.schema.createIndex('ledger_entries_transaction').on('ledger_entries').column('transaction_id').execute();

  // Invariant 2: append-only. Accounts never change either: their code, kind and currency are
  // what every past entry was posted against.
  await sql`
    create function ledger_forbid_change() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger: % on % is not allowed; the ledger is append-only (post a reversing transaction)', tg_op, tg_table_name
        using errcode = 'integrity_constraint_violation';
    end
    $$`.execute(db);
  for (const table of ['ledger_accounts', 'ledger_transactions', 'ledger_entries']) {
    await sql`create trigger ${sql.id(`${table}_append_only`)} before update or delete on ${sql.table(table)}
      for each row execute function ledger_forbid_change()`.execute(db);
    await sql`create trigger ${sql.id(`${table}_no_truncate`)} before truncate on ${sql.table(table)}
      for each statement execute function ledger_forbid_change()`.execute(db);
  }

  // Invariant 1, checked at commit so that a transaction's entries can be inserted one by one:
  // whatever writes to the ledger (our code or raw SQL), a committed transaction balances to zero
  // per currency and every entry is in its account's currency.
  await sql`
    create function ledger_check_entry() returns trigger language plpgsql as $$
    declare
      account_currency char(3);
      unbalanced record;
    begin
      select currency into account_currency from ledger_accounts where id = new.account_id;
      if account_currency is distinct from new.currency then
        raise exception 'ledger: entry % is in %, but its account % is in %', new.id, new.currency, new.account_id, account_currency
          using errcode = 'check_violation';
      end if;
      select currency, sum(amount) as total into unbalanced from ledger_entries
        where transaction_id = new.transaction_id group by currency having sum(amount) <> 0 limit 1;
      if found then
        raise exception 'ledger: transaction % does not balance: its % entries sum to %', new.transaction_id, unbalanced.currency, unbalanced.total
          using errcode = 'check_violation';
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`create constraint trigger ledger_entries_balanced after insert on ledger_entries
    deferrable initially deferred for each row execute function ledger_check_entry()`.execute(db);

  await sql`
    create function ledger_check_transaction() returns trigger language plpgsql as $$
    begin
      if not exists (select 1 from ledger_entries where transaction_id = new.id) then
        raise exception 'ledger: transaction % (%) has no entries', new.id, new.reference
          using errcode = 'check_violation';
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`create constraint trigger ledger_transactions_have_entries after insert on ledger_transactions
    deferrable initially deferred for each row execute function ledger_check_transaction()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ledger_entries').execute();
  await db.schema.dropTable('ledger_transactions').execute();
  await db.schema.dropTable('ledger_accounts').execute();
  await sql`drop function ledger_check_transaction()`.execute(db);
  await sql`drop function ledger_check_entry()`.execute(db);
  await sql`drop function ledger_forbid_change()`.execute(db);
}
