import { Kysely, PostgresDialect, sql } from 'kysely';
import { expect, test } from 'vitest';
import { db, pool, type Executor } from '#app/core/db.server.ts';
import type { DB } from '#db/schema.ts';
import { splitPayment } from './fees.ts';
import { runInvariants } from './invariants.server.ts';
import {
  accountBalance,
  InvalidPostingError,
  makerBalances,
  postTransaction,
  postTransactions,
  UnbalancedTransactionError,
  type NewTransaction,
  type Posting,
} from './ledger.server.ts';
import { invoicePaidTransaction, stripeFeeTransaction } from './postings.ts';
import { insertPledge, insertPledgeInvoice, insertUser, uniqueStripeId } from './test-fixtures.ts';

const occurredAt = new Date('2026-11-21T12:00:00Z');

function payment(makerId: string, overrides: Partial<NewTransaction> = {}, amounts = { gross: 1000, fee: 50 }): NewTransaction {
  const currency = overrides.currency ?? 'usd';
  return {
    reference: uniqueStripeId('ref'),
    // Not 'invoice_payment': those must match a paid pledge invoice, which the story test checks.
    kind: 'test_payment',
    stripeObjectId: uniqueStripeId('in'),
    currency,
    postings: [
      { account: { type: 'stripe_balance', currency }, amount: amounts.gross },
      { account: { type: 'maker_payable', currency, makerId }, amount: -(amounts.gross - amounts.fee) },
      { account: { type: 'platform_revenue', currency }, amount: -amounts.fee },
    ],
    description: 'test payment',
    occurredAt,
    ...overrides,
  };
}

async function ledgerRowCounts(executor: Executor = db) {
  const row = await sql<{ transactions: number; entries: number; accounts: number }>`
    select (select count(*) from ledger_transactions)::int as transactions,
           (select count(*) from ledger_entries)::int as entries,
           (select count(*) from ledger_accounts)::int as accounts`.execute(executor);
  return row.rows[0];
}

async function expectAllInvariantsHold() {
  const failing = (await runInvariants(db)).filter((result) => result.violations.length > 0);
  expect(failing).toEqual([]);
}

test('a balanced transaction is posted: entries written, accounts created, balances are sums', async () => {
  const makerId = await insertUser(db);
  const before = await ledgerRowCounts();
  const tx = payment(makerId, { currency: 'gbp' }, { gross: 1200, fee: 60 });

  const result = await postTransaction(db, tx);

  expect(result.status).toBe('posted');
  const stored = await db.selectFrom('ledger_transactions').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow();
  expect(stored).toMatchObject({ reference: tx.reference, kind: 'test_payment', stripe_object_id: tx.stripeObjectId, description: 'test payment' });
  expect(stored.occurred_at).toEqual(occurredAt);
  const entries = await db
    .selectFrom('ledger_entries')
    .innerJoin('ledger_accounts', 'ledger_accounts.id', 'ledger_entries.account_id')
    .select(['ledger_accounts.code', 'ledger_accounts.kind', 'ledger_accounts.maker_id', 'ledger_entries.amount', 'ledger_entries.currency'])
    .where('transaction_id', '=', result.id)
    .orderBy('ledger_entries.id')
    .execute();
  expect(entries).toEqual([
    { code: 'stripe_balance:gbp', kind: 'asset', maker_id: null, amount: 1200, currency: 'gbp' },
    { code: `maker_payable:${makerId}:gbp`, kind: 'liability', maker_id: makerId, amount: -1140, currency: 'gbp' },
    { code: 'platform_revenue:gbp', kind: 'revenue', maker_id: null, amount: -60, currency: 'gbp' },
  ]);
  expect(await ledgerRowCounts()).toEqual({ transactions: before!.transactions + 1, entries: before!.entries + 3, accounts: before!.accounts + 3 });

  expect(await accountBalance(db, { type: 'maker_payable', currency: 'gbp', makerId })).toBe(-1140);
  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'gbp', payable: 1140 }]);
});

test('accounts are created once and reused by later transactions', async () => {
  const makerId = await insertUser(db);
  await postTransaction(db, payment(makerId, { currency: 'chf' }));
  const accountsAfterFirst = (await ledgerRowCounts())!.accounts;
  await postTransaction(db, payment(makerId, { currency: 'chf' }, { gross: 300, fee: 15 }));
  expect((await ledgerRowCounts())!.accounts).toBe(accountsAfterFirst);
  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'chf', payable: 950 + 285 }]);
  expect(await accountBalance(db, { type: 'platform_revenue', currency: 'chf' })).toBe(-65);
});

test('an unbalanced transaction is refused and nothing is written', async () => {
  const makerId = await insertUser(db);
  const before = await ledgerRowCounts();
  const tx = payment(makerId, {
    postings: [
      { account: { type: 'stripe_balance', currency: 'usd' }, amount: 1000 },
      { account: { type: 'maker_payable', currency: 'usd', makerId }, amount: -999 },
    ],
  });
  await expect(postTransaction(db, tx)).rejects.toThrow(UnbalancedTransactionError);
  // A single posting cannot balance either.
  await expect(postTransaction(db, { ...tx, postings: [{ account: { type: 'stripe_balance', currency: 'usd' }, amount: 5 }] })).rejects.toThrow(
    UnbalancedTransactionError,
  );
  expect(await ledgerRowCounts()).toEqual(before);
  expect(await makerBalances(db, makerId)).toEqual([]);
});

test('floats, zero, NaN, infinities and unsafe integers are refused and nothing is written', async () => {
  const makerId = await insertUser(db);
  const before = await ledgerRowCounts();
  const bad: unknown[] = [10.5, 0.1, 0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, -(2 ** 53), '1000', null, 10n];
  for (const amount of bad) {
    const postings: Posting[] = [
      { account: { type: 'stripe_balance', currency: 'usd' }, amount: amount as number },
      { account: { type: 'maker_payable', currency: 'usd', makerId }, amount: typeof amount === 'number' ? -amount : -1000 },
    ];
    await expect(postTransaction(db, payment(makerId, { postings })), `amount ${String(amount)}`).rejects.toThrow(InvalidPostingError);
  }
  expect(await ledgerRowCounts()).toEqual(before);
});

test('unknown or mismatched currencies, empty postings and malformed fields are refused and nothing is written', async () => {
  const makerId = await insertUser(db);
  const before = await ledgerRowCounts();
  const valid = payment(makerId);
  const invalid: NewTransaction[] = [
    { ...valid, currency: 'USD' },
    { ...valid, currency: 'xyz' },
    payment(makerId, { currency: 'btc' }),
    // The transaction says eur, the postings are usd.
    { ...valid, currency: 'eur' },
    { ...valid, postings: [] },
    { ...valid, reference: '' },
    { ...valid, kind: ' ' },
    { ...valid, stripeObjectId: '' },
    { ...valid, occurredAt: new Date('not a date') },
    { ...valid, pledgeId: 'pledge-1' },
    payment('not-a-uuid'),
    {
      ...valid,
      postings: [
        { account: { type: 'stripe_balance', currency: 'usd' }, amount: 1 },
        { account: { type: 'petty_cash', currency: 'usd' } as unknown as Posting['account'], amount: -1 },
      ],
    },
  ];
  for (const tx of invalid) {
    await expect(postTransaction(db, tx), JSON.stringify(tx)).rejects.toThrow(InvalidPostingError);
  }
  expect(await ledgerRowCounts()).toEqual(before);
});

test('the same reference posted twice is a duplicate: the first transaction stands, nothing more is written', async () => {
  const makerId = await insertUser(db);
  const tx = payment(makerId);
  const first = await postTransaction(db, tx);
  const countsAfterFirst = await ledgerRowCounts();

  // Even a different Stripe id and different amounts under the same reference are the same posting.
  const second = await postTransaction(db, { ...payment(makerId, {}, { gross: 5000, fee: 100 }), reference: tx.reference });

  expect(first.status).toBe('posted');
  expect(second).toEqual({ status: 'duplicate', id: first.id });
  expect(await ledgerRowCounts()).toEqual(countsAfterFirst);
  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'usd', payable: 950 }]);
});

test('the same Stripe object under the same kind is a duplicate even with a new reference; another kind is not', async () => {
  const makerId = await insertUser(db);
  const stripeObjectId = uniqueStripeId('in');
  const first = await postTransaction(db, payment(makerId, { stripeObjectId }));
  const sameKind = await postTransaction(db, payment(makerId, { stripeObjectId }));
  expect(sameKind).toEqual({ status: 'duplicate', id: first.id });

  const otherKind = await postTransaction(db, payment(makerId, { stripeObjectId, kind: 'adjustment' }));
  expect(otherKind.status).toBe('posted');
  expect(otherKind.id).not.toBe(first.id);
  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'usd', payable: 1900 }]);
});

test('transactions without a Stripe object are told apart by reference alone', async () => {
  const makerId = await insertUser(db);
  const a = await postTransaction(db, payment(makerId, { stripeObjectId: null, kind: 'adjustment' }));
  const b = await postTransaction(db, payment(makerId, { stripeObjectId: undefined, kind: 'adjustment' }));
  expect([a.status, b.status]).toEqual(['posted', 'posted']);
  expect(a.id).not.toBe(b.id);
});

test('100 concurrent posts of the same transaction write it exactly once', async () => {
  const makerId = await insertUser(db);
  // Fresh currency for this maker: the accounts are created by the concurrent posts themselves.
  const tx = payment(makerId, { currency: 'nzd' }, { gross: 777, fee: 39 });

  const results = await Promise.all(Array.from({ length: 100 }, () => postTransaction(db, tx)));

  const posted = results.filter((result) => result.status === 'posted');
  expect(posted).toHaveLength(1);
  expect(results.filter((result) => result.status === 'duplicate')).toHaveLength(99);
  expect(new Set(results.map((result) => result.id))).toEqual(new Set([posted[0]!.id]));
  const rows = await db.selectFrom('ledger_transactions').select('id').where('reference', '=', tx.reference).execute();
  expect(rows).toHaveLength(1);
  const entries = await db.selectFrom('ledger_entries').select('id').where('transaction_id', '=', posted[0]!.id).execute();
  expect(entries).toHaveLength(3);
  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'nzd', payable: 738 }]);
  expect(await accountBalance(db, { type: 'stripe_balance', currency: 'nzd' })).toBe(777);
});

test("50 different payments posted at once to a maker's first account in a new currency: all 50 posted, one account each", async () => {
  const makerId = await insertUser(db);
  // Each post's transaction holds its insert of the new accounts until it commits; the others wait and must still find them.
  const results = await Promise.all(
    Array.from({ length: 50 }, () =>
      db.transaction().execute(async (trx) => {
        const result = await postTransaction(trx, payment(makerId, { currency: 'chf' }, { gross: 100, fee: 10 }));
        await sql`select pg_sleep(0.002)`.execute(trx);
        return result;
      }),
    ),
  );
  expect(results.map((result) => result.status)).toEqual(Array(50).fill('posted'));
  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'chf', payable: 4500 }]);
  const accounts = await db.selectFrom('ledger_accounts').select('code').where('maker_id', '=', makerId).execute();
  expect(accounts).toHaveLength(1);
});

test('100 concurrent posts for one Stripe object under different references write one transaction', async () => {
  const makerId = await insertUser(db);
  const stripeObjectId = uniqueStripeId('in');
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, index) => postTransaction(db, payment(makerId, { stripeObjectId, reference: `race:${stripeObjectId}:${index}` }))),
  );
  expect(results.filter((result) => result.status === 'posted')).toHaveLength(1);
  const rows = await db.selectFrom('ledger_transactions').select('id').where('stripe_object_id', '=', stripeObjectId).execute();
  expect(rows).toHaveLength(1);
  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'usd', payable: 950 }]);
});

test("inside the caller's transaction the posting commits or rolls back with the caller's work", async () => {
  const makerId = await insertUser(db);
  const tx = payment(makerId);
  await expect(
    db.transaction().execute(async (trx) => {
      expect((await postTransaction(trx, tx)).status).toBe('posted');
      // Visible inside the unit of work before it commits…
      expect(await makerBalances(trx, makerId)).toEqual([{ currency: 'usd', payable: 950 }]);
      throw new Error('the rest of the unit of work failed');
    }),
  ).rejects.toThrow('the rest of the unit of work failed');
  // …and gone with it.
  expect(await db.selectFrom('ledger_transactions').select('id').where('reference', '=', tx.reference).execute()).toEqual([]);
  expect(await makerBalances(db, makerId)).toEqual([]);

  const committed = await db.transaction().execute((trx) => postTransaction(trx, tx));
  expect(committed.status).toBe('posted');
  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'usd', payable: 950 }]);
});

test('entries and transactions cannot be updated, deleted or truncated', async () => {
  const makerId = await insertUser(db);
  const { id } = await postTransaction(db, payment(makerId));
  const appendOnly = /append-only/;

  await expect(sql`update ledger_entries set amount = amount * 2 where transaction_id = ${id}`.execute(db)).rejects.toThrow(appendOnly);
  await expect(sql`delete from ledger_entries where transaction_id = ${id}`.execute(db)).rejects.toThrow(appendOnly);
  await expect(sql`update ledger_transactions set description = 'edited' where id = ${id}`.execute(db)).rejects.toThrow(appendOnly);
  await expect(sql`delete from ledger_transactions where id = ${id}`.execute(db)).rejects.toThrow(appendOnly);
  await expect(sql`truncate ledger_entries`.execute(db)).rejects.toThrow(appendOnly);
  await expect(sql`update ledger_accounts set currency = 'eur' where maker_id = ${makerId}`.execute(db)).rejects.toThrow(appendOnly);

  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'usd', payable: 950 }]);
  const stored = await db.selectFrom('ledger_transactions').select('description').where('id', '=', id).executeTakeFirstOrThrow();
  expect(stored.description).toBe('test payment');
});

test('an unbalanced transaction written with raw SQL is rejected at commit', async () => {
  const makerId = await insertUser(db);
  await postTransaction(db, payment(makerId)); // creates the accounts
  const reference = uniqueStripeId('raw');
  let statementsSucceeded = false;

  await expect(
    db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: string }>`
        insert into ledger_transactions (reference, kind, description, occurred_at)
        values (${reference}, 'manual', 'raw insert', now()) returning id`.execute(trx);
      await sql`
        insert into ledger_entries (transaction_id, account_id, amount, currency)
        select ${rows[0]!.id}::uuid, id, case when code like 'stripe_balance:%' then 500 else -400 end, currency
        from ledger_accounts where code in ('stripe_balance:usd', ${`maker_payable:${makerId}:usd`})`.execute(trx);
      // The check is deferred: the statements themselves succeed…
      statementsSucceeded = true;
    }),
  ).rejects.toThrow(/does not balance/); // …and the commit fails.

  expect(statementsSucceeded).toBe(true);
  expect(await db.selectFrom('ledger_transactions').select('id').where('reference', '=', reference).execute()).toEqual([]);
});

test('raw SQL cannot post an entry in a currency other than its account’s, or a transaction without entries', async () => {
  const makerId = await insertUser(db);
  await postTransaction(db, payment(makerId));

  await expect(
    db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: string }>`
        insert into ledger_transactions (reference, kind, description, occurred_at)
        values (${uniqueStripeId('raw')}, 'manual', 'wrong currency', now()) returning id`.execute(trx);
      // Balanced in eur, but both accounts are usd accounts.
      await sql`
        insert into ledger_entries (transaction_id, account_id, amount, currency)
        select ${rows[0]!.id}::uuid, id, case when code like 'stripe_balance:%' then 100 else -100 end, 'eur'
        from ledger_accounts where code in ('stripe_balance:usd', 'platform_revenue:usd')`.execute(trx);
    }),
  ).rejects.toThrow(/is in eur, but its account .* is in usd/);

  await expect(
    sql`insert into ledger_transactions (reference, kind, description, occurred_at) values (${uniqueStripeId('raw')}, 'manual', 'empty', now())`.execute(db),
  ).rejects.toThrow(/has no entries/);
});

test('raw SQL cannot append an entry to a transaction that is already committed', async () => {
  const makerId = await insertUser(db);
  const { id } = await postTransaction(db, payment(makerId));
  await expect(
    sql`insert into ledger_entries (transaction_id, account_id, amount, currency)
        select ${id}::uuid, id, 100, currency from ledger_accounts where code = 'stripe_balance:usd'`.execute(db),
  ).rejects.toThrow(/does not balance/);
  expect(await db.selectFrom('ledger_entries').select('id').where('transaction_id', '=', id).execute()).toHaveLength(3);
});

test('accountBalance is 0 for an account never posted to; makerBalances lists each currency, sorted', async () => {
  const makerId = await insertUser(db);
  expect(await accountBalance(db, { type: 'maker_payable', currency: 'jpy', makerId })).toBe(0);
  expect(await makerBalances(db, makerId)).toEqual([]);

  await postTransaction(db, payment(makerId, { currency: 'sek' }, { gross: 10_000, fee: 500 }));
  await postTransaction(db, payment(makerId, { currency: 'jpy' }, { gross: 1000, fee: 50 }));
  await postTransaction(db, payment(makerId, { currency: 'aud' }, { gross: 2000, fee: 100 }));
  const other = await insertUser(db);
  await postTransaction(db, payment(other, { currency: 'aud' }));

  expect(await makerBalances(db, makerId)).toEqual([
    { currency: 'aud', payable: 1900 },
    { currency: 'jpy', payable: 950 },
    { currency: 'sek', payable: 9500 },
  ]);
  await expect(accountBalance(db, { type: 'stripe_balance', currency: 'xxx' })).rejects.toThrow(InvalidPostingError);
  await expect(makerBalances(db, 'nope')).rejects.toThrow(InvalidPostingError);
});

test('story: a paid invoice and its Stripe fee, delivered twice, leave the maker the split’s net and every invariant holds', async () => {
  const pledge = await insertPledge(db, { currency: 'eur' });
  const invoiceId = uniqueStripeId('in');
  const balanceTransactionId = uniqueStripeId('txn');
  const split = splitPayment({ gross: 2500, stripeFee: 101, platformFeeBasisPoints: 500 });
  await insertPledgeInvoice(db, {
    pledgeId: pledge.pledgeId,
    stripeInvoiceId: invoiceId,
    amountPaid: split.gross,
    currency: 'eur',
    fees: { stripeFee: split.stripeFee, platformFee: split.platformFee, makerNet: split.makerNet },
  });
  const common = { currency: 'eur', makerId: pledge.makerId, occurredAt, pledgeId: pledge.pledgeId, projectId: pledge.projectId };
  const paid = invoicePaidTransaction({ ...common, invoiceId, gross: split.gross, platformFeeBasisPoints: 500 });
  const fee = stripeFeeTransaction({ ...common, balanceTransactionId, fee: split.stripeFee, invoiceId });

  const first = [await postTransaction(db, paid), await postTransaction(db, fee)];
  const replay = [await postTransaction(db, fee), await postTransaction(db, paid)];

  expect(first.map((result) => result.status)).toEqual(['posted', 'posted']);
  expect(replay).toEqual([
    { status: 'duplicate', id: first[1]!.id },
    { status: 'duplicate', id: first[0]!.id },
  ]);
  expect(await makerBalances(db, pledge.makerId)).toEqual([{ currency: 'eur', payable: split.makerNet }]);
  expect(split.makerNet).toBe(2500 - 101 - 125);
  // What Stripe really holds for us: the gross less its fee (assuming no other eur activity in this file).
  expect(await accountBalance(db, { type: 'stripe_balance', currency: 'eur' })).toBe(2500 - 101);
  expect(await accountBalance(db, { type: 'platform_revenue', currency: 'eur' })).toBe(-125);
  const stored = await db.selectFrom('ledger_transactions').select(['pledge_id', 'project_id']).where('id', '=', first[0]!.id).executeTakeFirstOrThrow();
  expect(stored).toEqual({ pledge_id: pledge.pledgeId, project_id: pledge.projectId });

  await expectAllInvariantsHold();
});

/** A Kysely on the shared pool that counts the statements it sends. Not destroyed: that would end the pool. */
function countingDb() {
  const counter = { statements: 0 };
  const counting = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') counter.statements += 1;
    },
  });
  return { counting, counter };
}

test('postTransactions posts a batch of 200 in as many statements as a batch of 3, and it balances', async () => {
  const makers = [await insertUser(db), await insertUser(db), await insertUser(db)];
  const before = await ledgerRowCounts();
  const { counting, counter } = countingDb();

  const small = await postTransactions(counting, makers.map((makerId) => payment(makerId, { currency: 'dkk' })));
  const smallStatements = counter.statements;
  counter.statements = 0;
  const batch = Array.from({ length: 200 }, (_, index) => payment(makers[index % 3]!, { currency: 'dkk' }, { gross: 100 + index, fee: 10 }));
  const results = await postTransactions(counting, batch);

  expect(counter.statements).toBe(smallStatements);
  expect(small.map((result) => result.status)).toEqual(['posted', 'posted', 'posted']);
  expect(results.map((result) => result.status)).toEqual(Array(200).fill('posted'));
  expect(new Set(results.map((result) => result.id)).size).toBe(200);
  // Results are in input order: each id is the row posted under that element's reference.
  const stored = await db.selectFrom('ledger_transactions').select(['id', 'reference']).where('id', 'in', results.map((result) => result.id)).execute();
  const referenceOf = new Map(stored.map((row) => [row.id, row.reference]));
  expect(results.map((result) => referenceOf.get(result.id))).toEqual(batch.map((tx) => tx.reference));
  // Entries in posting order, per transaction in batch order.
  const entries = await db
    .selectFrom('ledger_entries')
    .select(['transaction_id', 'amount'])
    .where('transaction_id', 'in', results.map((result) => result.id))
    .orderBy('id')
    .execute();
  expect(entries).toEqual(batch.flatMap((tx, index) => tx.postings.map((posting) => ({ transaction_id: results[index]!.id, amount: posting.amount }))));
  expect(await ledgerRowCounts()).toEqual({ transactions: before!.transactions + 203, entries: before!.entries + 609, accounts: before!.accounts + 5 });

  const netOf = (maker: number) => batch.filter((_, index) => index % 3 === maker).reduce((sum, tx) => sum + tx.postings[0]!.amount - 10, 0);
  for (const [index, makerId] of makers.entries()) {
    expect(await makerBalances(db, makerId)).toEqual([{ currency: 'dkk', payable: 950 + netOf(index) }]);
  }
  expect(await postTransactions(counting, [])).toEqual([]);
  await expectAllInvariantsHold();
});

test('postTransactions with new, already-posted and repeated transactions answers like posting each in turn, and writes each once', async () => {
  const makerId = await insertUser(db);
  const earlier = payment(makerId);
  const earlierStripe = payment(makerId);
  const [posted, postedStripe] = [await postTransaction(db, earlier), await postTransaction(db, earlierStripe)];
  const before = await ledgerRowCounts();

  const fresh = payment(makerId);
  const sameStripeNewReference = payment(makerId, { stripeObjectId: fresh.stripeObjectId });
  // Conflicts with the already-posted stripe object, so it is a duplicate and not posted…
  const clashesWithPosted = payment(makerId, { stripeObjectId: earlierStripe.stripeObjectId });
  // …which leaves its reference free for a later element, as it would be posting one at a time.
  const takesTheFreedReference = payment(makerId, { reference: clashesWithPosted.reference }, { gross: 2000, fee: 100 });
  const batch = [
    { ...earlier, description: 'replayed' }, // 0: already posted, by reference
    fresh, // 1: posted
    payment(makerId, { stripeObjectId: earlierStripe.stripeObjectId }), // 2: already posted, by Stripe object
    fresh, // 3: copy of 1
    sameStripeNewReference, // 4: copy of 1 by Stripe object
    { ...payment(makerId, {}, { gross: 9000, fee: 1 }), reference: fresh.reference }, // 5: copy of 1 by reference
    clashesWithPosted, // 6: already posted, by Stripe object
    takesTheFreedReference, // 7: posted
    takesTheFreedReference, // 8: copy of 7
  ];

  const results = await postTransactions(db, batch);

  const [freshResult, freedResult] = [results[1]!, results[7]!];
  expect(results).toEqual([
    { status: 'duplicate', id: posted.id },
    { status: 'posted', id: freshResult.id },
    { status: 'duplicate', id: postedStripe.id },
    { status: 'duplicate', id: freshResult.id },
    { status: 'duplicate', id: freshResult.id },
    { status: 'duplicate', id: freshResult.id },
    { status: 'duplicate', id: postedStripe.id },
    { status: 'posted', id: freedResult.id },
    { status: 'duplicate', id: freedResult.id },
  ]);
  expect(new Set([posted.id, postedStripe.id, freshResult.id, freedResult.id]).size).toBe(4);
  expect(await ledgerRowCounts()).toEqual({ transactions: before!.transactions + 2, entries: before!.entries + 6, accounts: before!.accounts });
  expect(await makerBalances(db, makerId)).toEqual([{ currency: 'usd', payable: 950 * 3 + 1900 }]);

  // The same batch again: all duplicates, nothing written. Element 6 now finds the row under its
  // own reference (posted by 7), which postTransaction prefers to the one with its Stripe object.
  const replayed = results.map((result) => ({ status: 'duplicate', id: result.id }));
  replayed[6] = { status: 'duplicate', id: freedResult.id };
  expect(await postTransactions(db, batch)).toEqual(replayed);
  expect(await postTransaction(db, clashesWithPosted)).toEqual(replayed[6]);
  expect(await ledgerRowCounts()).toEqual({ transactions: before!.transactions + 2, entries: before!.entries + 6, accounts: before!.accounts });
});

test('postTransactions with one invalid transaction anywhere in the batch refuses all and writes nothing', async () => {
  const makerId = await insertUser(db);
  const before = await ledgerRowCounts();
  const unbalanced = payment(makerId, { postings: [{ account: { type: 'stripe_balance', currency: 'usd' }, amount: 1 }] });
  const badAmount = payment(makerId, {
    postings: [
      { account: { type: 'stripe_balance', currency: 'usd' }, amount: 1.5 },
      { account: { type: 'platform_revenue', currency: 'usd' }, amount: -1.5 },
    ],
  });
  const valid = () => Array.from({ length: 5 }, () => payment(makerId, { currency: 'czk' }));

  await expect(postTransactions(db, [unbalanced, ...valid()])).rejects.toThrow(UnbalancedTransactionError);
  await expect(postTransactions(db, [...valid(), badAmount, ...valid()])).rejects.toThrow(InvalidPostingError);
  await expect(postTransactions(db, [...valid(), { ...payment(makerId), reference: '' }])).rejects.toThrow(InvalidPostingError);
  await expect(db.transaction().execute((trx) => postTransactions(trx, [...valid(), unbalanced]))).rejects.toThrow(UnbalancedTransactionError);

  expect(await ledgerRowCounts()).toEqual(before);
  expect(await makerBalances(db, makerId)).toEqual([]);
});

test('three concurrent batches sharing transactions, listed in different orders, post each exactly once', async () => {
  const makers = [await insertUser(db), await insertUser(db)];
  // A fresh currency: the batches also race to create the accounts.
  const txs = Array.from({ length: 60 }, (_, index) => payment(makers[index % 2]!, { currency: 'pln' }, { gross: 1000, fee: 50 }));
  const first = txs.slice(0, 40);
  const second = txs.slice(20).reverse();
  const third = txs.filter((_, index) => index % 3 === 0).sort(() => Math.random() - 0.5);

  // Each on its own connection and in its own transaction.
  const [a, b, c] = await Promise.all([postTransactions(db, first), postTransactions(db, second), postTransactions(db, third)]);

  const idByReference = new Map<string, Set<string>>();
  const postedCount = new Map<string, number>();
  for (const [batch, results] of [[first, a], [second, b], [third, c]] as const) {
    for (const [index, tx] of batch.entries()) {
      const result = results[index]!;
      idByReference.set(tx.reference, (idByReference.get(tx.reference) ?? new Set()).add(result.id));
      if (result.status === 'posted') postedCount.set(tx.reference, (postedCount.get(tx.reference) ?? 0) + 1);
    }
  }
  for (const tx of txs) {
    expect(postedCount.get(tx.reference), tx.reference).toBe(1);
    expect(idByReference.get(tx.reference)?.size, tx.reference).toBe(1);
  }
  const rows = await db
    .selectFrom('ledger_transactions')
    .select(['id', 'reference'])
    .where('reference', 'in', txs.map((tx) => tx.reference))
    .execute();
  expect(rows).toHaveLength(60);
  for (const row of rows) expect(idByReference.get(row.reference)).toEqual(new Set([row.id]));
  for (const makerId of makers) expect(await makerBalances(db, makerId)).toEqual([{ currency: 'pln', payable: 30 * 950 }]);
  expect(await accountBalance(db, { type: 'stripe_balance', currency: 'pln' })).toBe(60 * 1000);
  await expectAllInvariantsHold();
});
