import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has run anywhere; add a new one.
// Money columns are integer minor units (bigint) with an ISO 4217 currency beside them.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('maker_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('restrict'))
    .addColumn('slug', sql`citext`, (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('pitch', 'text', (c) => c.notNull())
    .addColumn('description_md', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('repository_url', 'text')
    .addColumn('currency', sql`char(3)`, (c) => c.notNull())
    .addColumn('stripe_product_id', 'text', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('projects_maker_slug_key', ['maker_id', 'slug'])
    .addCheckConstraint('projects_slug_format', sql`slug ~ '^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$'`)
    .addCheckConstraint('projects_currency_format', sql`currency ~ '^[a-z]{3}$'`)
    .execute();

  await db.schema
    .createTable('tiers')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('project_id', 'uuid', (c) => c.notNull().references('projects.id').onDelete('restrict'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('benefits', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('monthly_amount', 'bigint', (c) => c.notNull())
    .addColumn('yearly_amount', 'bigint')
    .addColumn('patron_limit', 'integer')
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('archived_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('tiers_monthly_positive', sql`monthly_amount > 0`)
    .addCheckConstraint('tiers_yearly_positive', sql`yearly_amount is null or yearly_amount > 0`)
    .addCheckConstraint('tiers_limit_positive', sql`patron_limit is null or patron_limit > 0`)
    .execute();
  await db.schema.createIndex('tiers_project').on('tiers').columns(['project_id', 'position']).execute();

  // Stripe prices are immutable: a new amount is a new row; old rows stay for the patrons on them.
  await db.schema
    .createTable('tier_prices')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tier_id', 'uuid', (c) => c.notNull().references('tiers.id').onDelete('restrict'))
    .addColumn('interval', 'text', (c) => c.notNull().check(sql`interval in ('month', 'year')`))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('currency', sql`char(3)`, (c) => c.notNull())
    .addColumn('stripe_price_id', 'text', (c) => c.notNull().unique())
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One active price per tier and interval.
  await sql`create unique index tier_prices_one_active on tier_prices (tier_id, interval) where active`.execute(db);

  await db.schema
    .createTable('stripe_customers')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('restrict'))
    .addColumn('stripe_customer_id', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // A patron's recurring pledge: one Stripe subscription. Status mirrors Stripe's subscription:
  // pending (checkout open) → active → past_due → ended; expired when checkout was abandoned.
  await db.schema
    .createTable('pledges')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('patron_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('restrict'))
    .addColumn('project_id', 'uuid', (c) => c.notNull().references('projects.id').onDelete('restrict'))
    .addColumn('tier_id', 'uuid', (c) => c.notNull().references('tiers.id').onDelete('restrict'))
    .addColumn('interval', 'text', (c) => c.notNull().check(sql`interval in ('month', 'year')`))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('currency', sql`char(3)`, (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status in ('pending', 'active', 'past_due', 'ended', 'expired')`),
    )
    .addColumn('cancel_at_period_end', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('current_period_start', 'timestamptz')
    .addColumn('current_period_end', 'timestamptz')
    // A downgrade waits for the period end: what the pledge becomes then.
    .addColumn('scheduled_tier_id', 'uuid', (c) => c.references('tiers.id'))
    .addColumn('scheduled_amount', 'bigint')
    .addColumn('stripe_checkout_session_id', 'text', (c) => c.unique())
    .addColumn('checkout_expires_at', 'timestamptz')
    .addColumn('stripe_customer_id', 'text')
    .addColumn('stripe_subscription_id', 'text', (c) => c.unique())
    .addColumn('stripe_price_id', 'text')
    .addColumn('stripe_status', 'text')
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('pledges_patron').on('pledges').column('patron_id').execute();
  await db.schema.createIndex('pledges_tier_status').on('pledges').columns(['tier_id', 'status']).execute();
  await db.schema.createIndex('pledges_project_status').on('pledges').columns(['project_id', 'status']).execute();

  // One row per paid (or failed) subscription invoice: the patron's receipt and the maker's statement line.
  await db.schema
    .createTable('pledge_invoices')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('pledge_id', 'uuid', (c) => c.notNull().references('pledges.id').onDelete('restrict'))
    .addColumn('stripe_invoice_id', 'text', (c) => c.notNull().unique())
    .addColumn('number', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('billing_reason', 'text')
    .addColumn('currency', sql`char(3)`, (c) => c.notNull())
    .addColumn('amount_due', 'bigint', (c) => c.notNull())
    .addColumn('amount_paid', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('stripe_fee', 'bigint')
    .addColumn('platform_fee', 'bigint')
    .addColumn('maker_net', 'bigint')
    .addColumn('period_start', 'timestamptz')
    .addColumn('period_end', 'timestamptz')
    .addColumn('attempt_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_payment_attempt', 'timestamptz')
    .addColumn('hosted_invoice_url', 'text')
    .addColumn('stripe_charge_id', 'text')
    .addColumn('stripe_balance_transaction_id', 'text')
    .addColumn('paid_at', 'timestamptz')
    .addColumn('receipt_sent_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('pledge_invoices_pledge').on('pledge_invoices').columns(['pledge_id', 'period_start']).execute();
  // Invariant 4: at most one paid invoice per subscription period.
  await sql`create unique index pledge_invoices_one_paid_per_period on pledge_invoices (pledge_id, period_start) where status = 'paid' and billing_reason in ('subscription_create', 'subscription_cycle')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['pledge_invoices', 'pledges', 'stripe_customers', 'tier_prices', 'tiers', 'projects']) {
    await db.schema.dropTable(table).execute();
  }
}
