import { sql, type Transaction } from 'kysely';
import { expect, test } from 'vitest';
import { db } from '#app/core/db.server.ts';
import type { DB } from '#db/schema.ts';
import { splitPayment } from './fees.ts';
import { runInvariants, type InvariantResult } from './invariants.server.ts';
import { postTransaction } from './ledger.server.ts';
import { invoicePaidTransaction, stripeFeeTransaction } from './postings.ts';
import { insertPledge, insertPledgeInvoice, uniqueStripeId, type TestPledge } from './test-fixtures.ts';

/**
 * Each violation is planted inside a transaction that is rolled back, with the invariants run
 * inside it: the file's database stays clean for the next test. Where a trigger or constraint
 * would stop the plant, it is bypassed the way only a superuser could
 * (session_replication_role = replica, or dropping it inside the transaction).
 */

const ROLLBACK = new Error('rollback');
const occurredAt = new Date('2026-11-21T12:00:00Z');
let periods = 0;

async function withPlanted(plant: (trx: Transaction<DB>) => Promise<void>): Promise<InvariantResult[]> {
  let results: InvariantResult[] = [];
  await expect(
    db.transaction().execute(async (trx) => {
      await plant(trx);
      results = await runInvariants(trx);
      throw ROLLBACK;
    }),
  ).rejects.toBe(ROLLBACK);
  return results;
}

function failing(results: InvariantResult[]): Record<string, unknown[]> {
  return Object.fromEntries(results.filter((result) => result.violations.length > 0).map((result) => [result.name, result.violations]));
}

/** A paid invoice recorded and posted the way the payments pipeline will: row, payment, fee. */
async function paidInvoice(pledge: TestPledge, gross = 1000, stripeFee = 59) {
  const invoiceId = uniqueStripeId('in');
  const split = splitPayment({ gross, stripeFee, platformFeeBasisPoints: 500 });
  await insertPledgeInvoice(db, {
    pledgeId: pledge.pledgeId,
    stripeInvoiceId: invoiceId,
    amountPaid: gross,
    currency: pledge.currency,
    periodStart: new Date(Date.UTC(2030, periods++, 1)),
    fees: { stripeFee, platformFee: split.platformFee, makerNet: split.makerNet },
  });
  const common = { currency: pledge.currency, makerId: pledge.makerId, occurredAt, pledgeId: pledge.pledgeId, projectId: pledge.projectId };
  await postTransaction(db, invoicePaidTransaction({ ...common, invoiceId, gross, platformFeeBasisPoints: 500 }));
  await postTransaction(db, stripeFeeTransaction({ ...common, balanceTransactionId: uniqueStripeId('txn'), fee: stripeFee, invoiceId }));
  return invoiceId;
}

async function replica(trx: Transaction<DB>) {
  await sql`set local session_replication_role = replica`.execute(trx);
}

test('on a clean ledger with paid invoices, every invariant holds', async () => {
  const pledge = await insertPledge(db);
  await paidInvoice(pledge);
  await paidInvoice(pledge, 2500, 103);
  await paidInvoice(await insertPledge(db, { currency: 'jpy' }), 1500, 54);
  // A failed invoice has nothing in the ledger, and that is right.
  await insertPledgeInvoice(db, { pledgeId: pledge.pledgeId, stripeInvoiceId: uniqueStripeId('in'), amountPaid: 0, status: 'open' });

  const results = await runInvariants(db);

  expect(results.map((result) => result.name)).toEqual([
    'transactions_balance',
    'entry_currencies',
    'append_only',
    'one_transaction_per_stripe_object',
    'one_paid_invoice_per_period',
    'balances_sum_to_zero',
    'integer_minor_units',
    'invoice_fee_split_adds_up',
    'paid_invoices_posted_once',
  ]);
  for (const result of results) expect(result.description).not.toBe('');
  expect(failing(results)).toEqual({});
});

test('an unbalanced transaction slipped past the triggers is caught (invariants 1 and 9)', async () => {
  const pledge = await insertPledge(db);
  await paidInvoice(pledge);
  const reference = uniqueStripeId('planted');
  const results = await withPlanted(async (trx) => {
    await replica(trx);
    const { rows } = await sql<{ id: string }>`
      insert into ledger_transactions (reference, kind, description, occurred_at)
      values (${reference}, 'manual', 'planted', now()) returning id`.execute(trx);
    await sql`insert into ledger_entries (transaction_id, account_id, amount, currency)
      select ${rows[0]!.id}::uuid, id, 123, currency from ledger_accounts where code = 'stripe_balance:usd'`.execute(trx);
  });
  expect(Object.keys(failing(results))).toEqual(['transactions_balance', 'balances_sum_to_zero']);
  expect(failing(results).transactions_balance).toEqual([expect.objectContaining({ reference, currency: 'usd', total: '123', problem: 'does not balance' })]);
  expect(failing(results).balances_sum_to_zero).toEqual([{ currency: 'usd', total: '123' }]);
});

test('a transaction without entries, and an entry in the wrong currency, are caught (invariant 1)', async () => {
  const pledge = await insertPledge(db);
  await paidInvoice(pledge);
  const empty = uniqueStripeId('empty');
  const results = await withPlanted(async (trx) => {
    await replica(trx);
    await sql`insert into ledger_transactions (reference, kind, description, occurred_at) values (${empty}, 'manual', 'planted', now())`.execute(trx);
    const { rows } = await sql<{ id: string }>`
      insert into ledger_transactions (reference, kind, description, occurred_at)
      values (${uniqueStripeId('planted')}, 'manual', 'planted', now()) returning id`.execute(trx);
    // Balanced in gbp, but posted to usd accounts.
    await sql`insert into ledger_entries (transaction_id, account_id, amount, currency)
      select ${rows[0]!.id}::uuid, id, case when code like 'stripe_balance:%' then 10 else -10 end, 'gbp'
      from ledger_accounts where code in ('stripe_balance:usd', 'platform_revenue:usd')`.execute(trx);
  });
  expect(Object.keys(failing(results))).toEqual(['transactions_balance', 'entry_currencies']);
  expect(failing(results).transactions_balance).toEqual([expect.objectContaining({ reference: empty, problem: 'has no entries' })]);
  expect(failing(results).entry_currencies).toHaveLength(2);
  expect(failing(results).entry_currencies![0]).toMatchObject({ entry_currency: 'gbp', account_currency: 'usd' });
});

test('a disabled or dropped append-only trigger is caught (invariant 2)', async () => {
  const results = await withPlanted(async (trx) => {
    await sql`alter table ledger_entries disable trigger ledger_entries_append_only`.execute(trx);
    await sql`drop trigger ledger_transactions_no_truncate on ledger_transactions`.execute(trx);
  });
  expect(failing(results)).toEqual({
    append_only: [
      { table_name: 'ledger_transactions', trigger_name: 'ledger_transactions_no_truncate', problem: 'missing' },
      { table_name: 'ledger_entries', trigger_name: 'ledger_entries_append_only', problem: 'disabled' },
    ],
  });
});

test('a second transaction for one Stripe object, once the unique index is gone, is caught (invariant 3)', async () => {
  const pledge = await insertPledge(db);
  const invoiceId = await paidInvoice(pledge);
  const results = await withPlanted(async (trx) => {
    await sql`alter table ledger_transactions drop constraint ledger_transactions_kind_stripe_object_key`.execute(trx);
    const again = invoicePaidTransaction({ invoiceId, gross: 1000, currency: 'usd', makerId: pledge.makerId, platformFeeBasisPoints: 500, occurredAt });
    // Without the index, a new reference for the same invoice is no longer a duplicate.
    const result = await postTransaction(trx, { ...again, reference: `${again.reference}:again` });
    expect(result.status).toBe('posted');
  });
  const violations = failing(results);
  expect(Object.keys(violations)).toEqual(['one_transaction_per_stripe_object', 'paid_invoices_posted_once']);
  expect(violations.one_transaction_per_stripe_object).toEqual([
    { problem: 'missing unique index on ledger_transactions (kind, stripe_object_id)', kind: null, key: null, transactions: null },
    { problem: 'duplicate (kind, stripe_object_id)', kind: 'invoice_payment', key: invoiceId, transactions: 2 },
  ]);
  expect(violations.paid_invoices_posted_once).toEqual([
    expect.objectContaining({ stripe_invoice_id: invoiceId, problem: 'paid invoice has several invoice_payment ledger transactions' }),
    expect.objectContaining({ stripe_invoice_id: invoiceId, problem: 'paid invoice has several invoice_payment ledger transactions' }),
  ]);
});

test('two paid invoices for one pledge period are caught (invariant 4)', async () => {
  const pledge = await insertPledge(db);
  const periodStart = new Date('2027-03-01T00:00:00Z');
  const results = await withPlanted(async (trx) => {
    await sql`drop index pledge_invoices_one_paid_per_period`.execute(trx);
    for (const billingReason of ['subscription_create', 'subscription_cycle']) {
      const invoiceId = uniqueStripeId('in');
      await insertPledgeInvoice(trx, { pledgeId: pledge.pledgeId, stripeInvoiceId: invoiceId, amountPaid: 500, billingReason, periodStart });
      await postTransaction(trx, invoicePaidTransaction({ invoiceId, gross: 500, currency: 'usd', makerId: pledge.makerId, platformFeeBasisPoints: 500, occurredAt }));
    }
    // A proration invoice in the same period is not a second period charge.
    const proration = uniqueStripeId('in');
    await insertPledgeInvoice(trx, { pledgeId: pledge.pledgeId, stripeInvoiceId: proration, amountPaid: 200, billingReason: 'subscription_update', periodStart });
    await postTransaction(trx, invoicePaidTransaction({ invoiceId: proration, gross: 200, currency: 'usd', makerId: pledge.makerId, platformFeeBasisPoints: 500, occurredAt }));
  });
  expect(Object.keys(failing(results))).toEqual(['one_paid_invoice_per_period']);
  expect(failing(results).one_paid_invoice_per_period).toEqual([
    expect.objectContaining({ pledge_id: pledge.pledgeId, period_start: periodStart, paid_invoices: 2 }),
  ]);
});

test('money stored in a non-integer column is caught (invariant 12)', async () => {
  const results = await withPlanted(async (trx) => {
    await sql`alter table pledge_invoices alter column maker_net type numeric(12, 2)`.execute(trx);
  });
  expect(failing(results)).toEqual({
    integer_minor_units: [{ table_name: 'pledge_invoices', column_name: 'maker_net', type: 'numeric(12,2)' }],
  });
});

test('a fee breakdown that does not add up to the amount paid is caught (invariant 12)', async () => {
  const pledge = await insertPledge(db);
  const results = await withPlanted(async (trx) => {
    const invoiceId = uniqueStripeId('in');
    await insertPledgeInvoice(trx, {
      pledgeId: pledge.pledgeId,
      stripeInvoiceId: invoiceId,
      amountPaid: 1000,
      fees: { stripeFee: 59, platformFee: 50, makerNet: 890 },
    });
    await postTransaction(trx, invoicePaidTransaction({ invoiceId, gross: 1000, currency: 'usd', makerId: pledge.makerId, platformFeeBasisPoints: 500, occurredAt }));
    // Fees not known yet: nothing to check.
    const pending = uniqueStripeId('in');
    await insertPledgeInvoice(trx, { pledgeId: pledge.pledgeId, stripeInvoiceId: pending, amountPaid: 700, periodStart: new Date('2027-01-01') });
    await postTransaction(trx, invoicePaidTransaction({ invoiceId: pending, gross: 700, currency: 'usd', makerId: pledge.makerId, platformFeeBasisPoints: 500, occurredAt }));
  });
  expect(Object.keys(failing(results))).toEqual(['invoice_fee_split_adds_up']);
  expect(failing(results).invoice_fee_split_adds_up).toEqual([
    expect.objectContaining({ amount_paid: 1000, stripe_fee: 59, platform_fee: 50, maker_net: 890 }),
  ]);
});

test('a paid invoice missing from the ledger, a payment without an invoice, and a wrong amount are caught', async () => {
  const pledge = await insertPledge(db);
  const unposted = uniqueStripeId('in');
  const orphan = uniqueStripeId('in');
  const wrongAmount = uniqueStripeId('in');
  const results = await withPlanted(async (trx) => {
    await insertPledgeInvoice(trx, { pledgeId: pledge.pledgeId, stripeInvoiceId: unposted, amountPaid: 1000, periodStart: new Date('2028-01-01') });
    await postTransaction(trx, invoicePaidTransaction({ invoiceId: orphan, gross: 1000, currency: 'usd', makerId: pledge.makerId, platformFeeBasisPoints: 500, occurredAt }));
    await insertPledgeInvoice(trx, { pledgeId: pledge.pledgeId, stripeInvoiceId: wrongAmount, amountPaid: 1000, periodStart: new Date('2028-02-01') });
    await postTransaction(trx, invoicePaidTransaction({ invoiceId: wrongAmount, gross: 990, currency: 'usd', makerId: pledge.makerId, platformFeeBasisPoints: 500, occurredAt }));
  });
  expect(Object.keys(failing(results))).toEqual(['paid_invoices_posted_once']);
  const byInvoice = Object.fromEntries(
    (failing(results).paid_invoices_posted_once as { stripe_invoice_id: string; problem: string }[]).map((row) => [row.stripe_invoice_id, row.problem]),
  );
  expect(byInvoice).toEqual({
    [unposted]: 'paid invoice has no invoice_payment ledger transaction',
    [orphan]: 'invoice_payment ledger transaction has no paid pledge invoice',
    [wrongAmount]: 'ledger amount or currency differs from the invoice',
  });
});

test('after every planted violation was rolled back, the ledger is clean again', async () => {
  expect(failing(await runInvariants(db))).toEqual({});
});
