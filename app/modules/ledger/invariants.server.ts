import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '#app/core/db.server.ts';
import { SUPPORTED_CURRENCIES } from './currency.ts';

/**
 * The ledger invariants of MONEY.md that apply so far, each a query returning the rows that
 * violate it (none = it holds). Run by `npm run ledger:check` and by tests after every money
 * test. Sums are returned as text: a broken ledger may hold sums beyond int8.
 *
 * Not yet applicable: 5 and 8 (payouts), 6 and 7 (clearing and Stripe completeness: need the
 * reconciler), 10 (no cached balances are kept), 11 (campaigns), 13 (a property of tests),
 * 14 (refunds and disputes).
 */

export type InvariantResult = { name: string; description: string; violations: unknown[] };

/** At most this many violating rows per invariant are returned; one is enough to fail. */
export const MAX_VIOLATIONS = 100;

const APPEND_ONLY_TRIGGERS: [table: string, trigger: string][] = [
  ['ledger_accounts', 'ledger_accounts_append_only'],
  ['ledger_accounts', 'ledger_accounts_no_truncate'],
  ['ledger_transactions', 'ledger_transactions_append_only'],
  ['ledger_transactions', 'ledger_transactions_no_truncate'],
  ['ledger_transactions', 'ledger_transactions_have_entries'],
  ['ledger_entries', 'ledger_entries_append_only'],
  ['ledger_entries', 'ledger_entries_no_truncate'],
  ['ledger_entries', 'ledger_entries_balanced'],
];

const MONEY_COLUMNS: [table: string, column: string][] = [
  ['ledger_entries', 'amount'],
  ['pledge_invoices', 'amount_due'],
  ['pledge_invoices', 'amount_paid'],
  ['pledge_invoices', 'stripe_fee'],
  ['pledge_invoices', 'platform_fee'],
  ['pledge_invoices', 'maker_net'],
];

const PERIOD_BILLING_REASONS = ['subscription_create', 'subscription_cycle'];

const invariants: { name: string; description: string; query: () => RawBuilder<unknown> }[] = [
  {
    name: 'transactions_balance',
    description: '1. Every ledger transaction has entries and balances to zero per currency.',
    query: () => sql`
      select t.id as transaction_id, t.reference, e.currency, sum(e.amount)::text as total, 'does not balance' as problem
      from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
      group by t.id, t.reference, e.currency
      having sum(e.amount) <> 0
      union all
      select t.id, t.reference, null, null, 'has no entries'
      from ledger_transactions t
      where not exists (select 1 from ledger_entries e where e.transaction_id = t.id)
      order by reference, currency`,
  },
  {
    name: 'entry_currencies',
    description: "1. Every entry is in its account's currency, and that currency is supported.",
    query: () => sql`
      select e.id as entry_id, e.transaction_id, e.currency as entry_currency, a.code as account, a.currency as account_currency
      from ledger_entries e join ledger_accounts a on a.id = e.account_id
      where e.currency <> a.currency or not (a.currency = any(${[...SUPPORTED_CURRENCIES]}::text[]))
      order by e.id`,
  },
  {
    name: 'append_only',
    description: '2. The ledger is append-only: its no-update/no-delete and balance triggers exist and are enabled.',
    query: () => sql`
      select expected.table_name, expected.trigger_name, case when t.oid is null then 'missing' else 'disabled' end as problem
      from unnest(${APPEND_ONLY_TRIGGERS.map(([table]) => table)}::text[], ${APPEND_ONLY_TRIGGERS.map(([, trigger]) => trigger)}::text[])
        with ordinality as expected(table_name, trigger_name, position)
      left join pg_trigger t on t.tgrelid = to_regclass(expected.table_name) and t.tgname = expected.trigger_name
      where t.oid is null or t.tgenabled not in ('O', 'A')
      order by expected.position`,
  },
  {
    name: 'one_transaction_per_stripe_object',
    description: '3. At most one ledger transaction per (kind, Stripe object) and per reference, backed by unique indexes.',
    query: () => sql`
      select * from (
        select 'missing unique index on ledger_transactions (' || array_to_string(expected.columns, ', ') || ')' as problem,
          null as kind, null as key, null::int as transactions
        from (values (array['kind', 'stripe_object_id']), (array['reference'])) as expected(columns)
        where not exists (
          select 1 from pg_index i
          where i.indrelid = to_regclass('ledger_transactions') and i.indisunique and i.indisvalid and i.indpred is null
            and (select array_agg(a.attname::text order by a.attname) from pg_attribute a
                 where a.attrelid = i.indrelid and a.attnum = any(i.indkey::int2[])) = expected.columns
        )
        union all
        select 'duplicate (kind, stripe_object_id)', kind, stripe_object_id, count(*)::int
        from ledger_transactions where stripe_object_id is not null
        group by kind, stripe_object_id having count(*) > 1
        union all
        select 'duplicate reference', null, reference, count(*)::int
        from ledger_transactions group by reference having count(*) > 1
      ) as found
      order by problem like 'missing%' desc, problem, kind, key`,
  },
  {
    name: 'one_paid_invoice_per_period',
    description: '4. At most one paid period invoice (subscription_create or _cycle) per pledge and period.',
    query: () => sql`
      select pledge_id, period_start, count(*)::int as paid_invoices, array_agg(stripe_invoice_id order by stripe_invoice_id) as stripe_invoice_ids
      from pledge_invoices
      where status = 'paid' and billing_reason = any(${PERIOD_BILLING_REASONS}::text[])
      group by pledge_id, period_start
      having count(*) > 1
      order by pledge_id, period_start`,
  },
  {
    name: 'balances_sum_to_zero',
    description: '9. All account balances in each currency sum to zero.',
    query: () => sql`
      select currency, sum(amount)::text as total from ledger_entries group by currency having sum(amount) <> 0 order by currency`,
  },
  {
    name: 'integer_minor_units',
    description: '12. Money is stored as integer minor units: ledger amounts and pledge invoice amounts are bigint columns.',
    query: () => sql`
      select expected.table_name, expected.column_name, coalesce(format_type(a.atttypid, a.atttypmod), 'missing') as type
      from unnest(${MONEY_COLUMNS.map(([table]) => table)}::text[], ${MONEY_COLUMNS.map(([, column]) => column)}::text[])
        with ordinality as expected(table_name, column_name, position)
      left join pg_attribute a on a.attrelid = to_regclass(expected.table_name) and a.attname = expected.column_name and not a.attisdropped
      where a.atttypid is distinct from 'int8'::regtype
      order by expected.position`,
  },
  {
    name: 'invoice_fee_split_adds_up',
    description: '12. For every paid pledge invoice whose fees are known, amount_paid = stripe_fee + platform_fee + maker_net.',
    query: () => sql`
      select id as pledge_invoice_id, stripe_invoice_id, amount_paid, stripe_fee, platform_fee, maker_net
      from pledge_invoices
      where status = 'paid' and stripe_fee is not null and platform_fee is not null and maker_net is not null
        and amount_paid <> stripe_fee + platform_fee + maker_net
      order by stripe_invoice_id`,
  },
  {
    name: 'paid_invoices_posted_once',
    description:
      '3/7. Every paid pledge invoice (amount_paid > 0) has exactly one invoice_payment ledger transaction debiting stripe_balance by amount_paid in its currency, and every invoice_payment transaction belongs to a paid pledge invoice.',
    query: () => sql`
      with totals as (
        -- One pass over the entries (joins and a group by), not two subqueries per transaction:
        -- those became a scan of the whole ledger per transaction whenever the planner's
        -- statistics lagged behind the table (5 s over a few thousand rows, seen).
        select e.transaction_id,
          coalesce(sum(e.amount) filter (where left(a.code, 15) = 'stripe_balance:'), 0) as gross,
          min(e.currency) as currency
        from ledger_entries e
          join ledger_accounts a on a.id = e.account_id
          join ledger_transactions t on t.id = e.transaction_id and t.kind = 'invoice_payment'
        group by e.transaction_id
      ), payments as (
        select t.id as transaction_id, t.stripe_object_id, coalesce(totals.gross, 0) as gross, totals.currency
        from ledger_transactions t left join totals on totals.transaction_id = t.id
        where t.kind = 'invoice_payment'
      ), paid as (
        select stripe_invoice_id, currency, amount_paid from pledge_invoices where status = 'paid' and amount_paid > 0
      ), matched as (
        select paid.stripe_invoice_id, paid.currency, paid.amount_paid,
          payments.transaction_id, payments.stripe_object_id, payments.gross, payments.currency as ledger_currency,
          count(payments.transaction_id) over (partition by paid.stripe_invoice_id) as transactions
        from paid full join payments on payments.stripe_object_id = paid.stripe_invoice_id
      )
      select coalesce(stripe_invoice_id, stripe_object_id) as stripe_invoice_id,
        case
          when transaction_id is null then 'paid invoice has no invoice_payment ledger transaction'
          when stripe_invoice_id is null then 'invoice_payment ledger transaction has no paid pledge invoice'
          when transactions > 1 then 'paid invoice has several invoice_payment ledger transactions'
          else 'ledger amount or currency differs from the invoice'
        end as problem,
        amount_paid, currency, transaction_id, gross::text as ledger_amount, ledger_currency
      from matched
      where transaction_id is null or stripe_invoice_id is null or transactions > 1
        or gross <> amount_paid or ledger_currency is distinct from currency
      order by 1, transaction_id`,
  },
];

/** Runs every invariant against `db` (the pool or an open transaction), in MONEY.md order. */
export async function runInvariants(db: Executor): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  for (const invariant of invariants) {
    // Each query orders its own rows; a bare limit around it keeps that order.
    const query = sql`select * from (${invariant.query()}) as violations limit ${MAX_VIOLATIONS}`;
    const { rows } = await query.execute(db);
    results.push({ name: invariant.name, description: invariant.description, violations: rows });
  }
  return results;
}
