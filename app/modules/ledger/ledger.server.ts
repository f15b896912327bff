import { sql } from 'kysely';
import type { Executor } from '#app/core/db.server.ts';
import { isSupportedCurrency } from './currency.ts';

/**
 * The double-entry ledger: the only way money is written down (STYLE.md pattern 10). Amounts
 * are integer minor units, positive = debit, negative = credit; a transaction's postings sum
 * to zero. Balances are sums of entries. The database enforces the same rules at commit
 * (migration 2026-11-21T1300_ledger), so raw SQL cannot slip an unbalanced transaction in.
 */

export type AccountRef =
  | { type: 'stripe_balance'; currency: string } // asset: the platform's balance at Stripe ("Stripe clearing")
  | { type: 'platform_revenue'; currency: string } // revenue: Makerfund's fee
  | { type: 'stripe_fees'; currency: string } // expense (kept for completeness; makers bear Stripe's fee today)
  | { type: 'maker_payable'; currency: string; makerId: string }; // liability: what we owe the maker

/** Integer minor units; + debit, − credit. */
export type Posting = { account: AccountRef; amount: number };

export type NewTransaction = {
  /** Unique idempotency key, e.g. `invoice_paid:in_123`. */
  reference: string;
  /** e.g. 'invoice_payment' | 'stripe_fee'. */
  kind: string;
  /** Unique together with kind: one Stripe object → at most one transaction of each kind. */
  stripeObjectId?: string | null;
  /** Every posting's account must be in this currency. */
  currency: string;
  postings: Posting[];
  description: string;
  occurredAt: Date;
  pledgeId?: string | null;
  projectId?: string | null;
};

export type PostResult = { status: 'posted'; id: string } | { status: 'duplicate'; id: string };

export class UnbalancedTransactionError extends Error {
  override name = 'UnbalancedTransactionError';
}

/** Non-integer, zero or unsafe amount, unknown or mismatched currency, no postings, malformed id. */
export class InvalidPostingError extends Error {
  override name = 'InvalidPostingError';
}

type AccountKind = 'asset' | 'liability' | 'revenue' | 'expense';
type ResolvedAccount = { code: string; kind: AccountKind; currency: string; makerId: string | null };

const ACCOUNT_KINDS: Record<AccountRef['type'], AccountKind> = {
  stripe_balance: 'asset',
  platform_revenue: 'revenue',
  stripe_fees: 'expense',
  maker_payable: 'liability',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requireUuid(what: string, value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new InvalidPostingError(`${what} must be a uuid, got ${JSON.stringify(value)}`);
  // Postgres prints uuids in lowercase; the account code must match what maker_id::text gives.
  return value.toLowerCase();
}

function resolveAccount(account: AccountRef): ResolvedAccount {
  const kind = (ACCOUNT_KINDS as Record<string, AccountKind | undefined>)[account?.type];
  if (!kind) throw new InvalidPostingError(`Unknown ledger account type ${JSON.stringify(account?.type)}`);
  if (!isSupportedCurrency(account.currency)) throw new InvalidPostingError(`Unsupported currency ${JSON.stringify(account.currency)}`);
  if (account.type === 'maker_payable') {
    const makerId = requireUuid('maker_payable makerId', account.makerId);
    return { code: `maker_payable:${makerId}:${account.currency}`, kind, currency: account.currency, makerId };
  }
  return { code: `${account.type}:${account.currency}`, kind, currency: account.currency, makerId: null };
}

function requireText(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidPostingError(`${what} must be a non-empty string`);
  return value;
}

type Validated = { postings: { account: ResolvedAccount; amount: number }[]; stripeObjectId: string | null; pledgeId: string | null; projectId: string | null };

/** Everything is checked before the first write, so a refused transaction leaves no trace. */
function validate(tx: NewTransaction): Validated {
  requireText('reference', tx.reference);
  requireText('kind', tx.kind);
  if (typeof tx.description !== 'string') throw new InvalidPostingError('description must be a string');
  const stripeObjectId = tx.stripeObjectId == null ? null : requireText('stripeObjectId', tx.stripeObjectId);
  if (!(tx.occurredAt instanceof Date) || Number.isNaN(tx.occurredAt.getTime())) throw new InvalidPostingError('occurredAt must be a valid Date');
  if (!isSupportedCurrency(tx.currency)) throw new InvalidPostingError(`Unsupported currency ${JSON.stringify(tx.currency)}`);
  if (!Array.isArray(tx.postings) || tx.postings.length === 0) throw new InvalidPostingError(`Transaction ${tx.reference} has no postings`);

  let total = 0n;
  const postings = tx.postings.map((posting, index) => {
    const { amount } = posting;
    if (!Number.isSafeInteger(amount) || amount === 0) {
      throw new InvalidPostingError(`Posting ${index} of ${tx.reference}: amount must be a non-zero safe integer in minor units, got ${String(amount)}`);
    }
    const account = resolveAccount(posting.account);
    if (account.currency !== tx.currency) {
      throw new InvalidPostingError(`Posting ${index} of ${tx.reference} is in ${account.currency}, the transaction in ${tx.currency}`);
    }
    total += BigInt(amount);
    return { account, amount };
  });
  if (total !== 0n) throw new UnbalancedTransactionError(`Transaction ${tx.reference} does not balance: its postings sum to ${total}`);

  return {
    postings,
    stripeObjectId,
    pledgeId: tx.pledgeId == null ? null : requireUuid('pledgeId', tx.pledgeId),
    projectId: tx.projectId == null ? null : requireUuid('projectId', tx.projectId),
  };
}

/**
 * Posts a balanced transaction, or finds the one already posted under the same reference or
 * the same (kind, stripeObjectId) and returns it as a duplicate without writing anything.
 * Runs inside the caller's transaction when given one (the unit of work stays the caller's),
 * otherwise in its own. Concurrent posts of the same transaction are safe: the unique indexes
 * make the second insert wait for the first and then do nothing.
 */
export async function postTransaction(db: Executor, tx: NewTransaction): Promise<PostResult> {
  const [result] = await postTransactions(db, [tx]);
  return result as PostResult;
}

/** Own-transaction attempts when Postgres aborts one of two overlapping batches as a deadlock. */
const DEADLOCK_ATTEMPTS = 3;

/**
 * postTransaction for many, in a constant number of statements: the same results, in input
 * order, as posting each in turn. All are validated before the first write (one invalid →
 * throws, nothing written). A transaction whose reference or (kind, stripeObjectId) is already
 * posted, by an earlier element of `txs` or before, is a duplicate of that row.
 *
 * Concurrent batches that share transactions wait for each other like single posts do. Rows are
 * inserted in reference order so that two batches listing the same transactions in different
 * orders take their locks in the same order; batches that deadlock anyway (two elements sharing a
 * Stripe object under different references) are run again when the transaction is our own, since
 * posting is idempotent. In the caller's transaction, the caller gets the deadlock error.
 */
export async function postTransactions(db: Executor, txs: NewTransaction[]): Promise<PostResult[]> {
  if (txs.length === 0) return [];
  const valid = txs.map((tx) => ({ tx, ...validate(tx) }));
  if (db.isTransaction) return write(db, valid);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.transaction().execute((trx) => write(trx, valid));
    } catch (error) {
      if (attempt >= DEADLOCK_ATTEMPTS || (error as { code?: unknown } | null)?.code !== '40P01') throw error;
    }
  }
}

type ValidTransaction = Validated & { tx: NewTransaction };

/** What the unique indexes compare, so an inserted row can be matched to the element it came from. */
function identity(reference: string, kind: string, stripeObjectId: string | null): string {
  return JSON.stringify([reference, kind, stripeObjectId]);
}

/**
 * The order to insert in: by reference, except that elements sharing a reference or a (kind,
 * Stripe object), directly or through others, stay together in input order. Only such elements
 * can decide each other's fate, so the outcome is that of input order.
 */
function insertOrder(valid: ValidTransaction[]): number[] {
  const parent = valid.map((_, index) => index);
  const root = (index: number): number => {
    while (parent[index] !== index) index = parent[index] = parent[parent[index]!]!;
    return index;
  };
  const firstWith = new Map<string, number>();
  valid.forEach((v, index) => {
    const keys = [`reference:${v.tx.reference}`, ...(v.stripeObjectId === null ? [] : [JSON.stringify([v.tx.kind, v.stripeObjectId])])];
    for (const key of keys) {
      const first = firstWith.get(key);
      if (first === undefined) firstWith.set(key, index);
      else parent[root(index)] = root(first);
    }
  });
  const leader = new Map<number, number>(); // group root → its first element
  for (let index = valid.length - 1; index >= 0; index -= 1) leader.set(root(index), index);
  const sortKey = (index: number) => valid[leader.get(root(index))!]!.tx.reference;
  return valid
    .map((_, index) => index)
    .sort((a, b) => {
      const [ka, kb] = [sortKey(a), sortKey(b)];
      return ka < kb ? -1 : ka > kb ? 1 : a - b;
    });
}

async function write(trx: Executor, valid: ValidTransaction[]): Promise<PostResult[]> {
  // One insert, fed by unnest so the parameter count stays constant however long the batch. Rows
  // are inserted in the order given and ON CONFLICT DO NOTHING also skips a row that conflicts
  // with one inserted earlier by the same statement, so exactly the rows that posting one by one
  // would insert are inserted: a later copy is skipped, while an element whose only conflict was
  // with a skipped one is posted. (No dedupe in JS: it cannot know which rows the database skips.)
  const ordered = insertOrder(valid).map((index) => valid[index]!);
  const inserted = await trx
    .insertInto('ledger_transactions')
    .columns(['reference', 'kind', 'stripe_object_id', 'pledge_id', 'project_id', 'description', 'occurred_at'])
    .expression(
      sql`select * from unnest(
        ${ordered.map((v) => v.tx.reference)}::text[],
        ${ordered.map((v) => v.tx.kind)}::text[],
        ${ordered.map((v) => v.stripeObjectId)}::text[],
        ${ordered.map((v) => v.pledgeId)}::uuid[],
        ${ordered.map((v) => v.projectId)}::uuid[],
        ${ordered.map((v) => v.tx.description)}::text[],
        ${ordered.map((v) => v.tx.occurredAt.toISOString())}::timestamptz[]
      )`,
    )
    .onConflict((oc) => oc.doNothing())
    .returning(['id', 'reference', 'kind', 'stripe_object_id'])
    .execute();

  // Elements with identical keys conflict identically, so the row came from the first of them.
  const unclaimed = new Map(inserted.map((row) => [identity(row.reference, row.kind, row.stripe_object_id), row.id]));
  const postedBy = new Map<string, number>(); // inserted id → index of its element
  const results: (PostResult | undefined)[] = valid.map((v, index) => {
    const key = identity(v.tx.reference, v.tx.kind, v.stripeObjectId);
    const id = unclaimed.get(key);
    if (id === undefined) return undefined;
    unclaimed.delete(key);
    postedBy.set(id, index);
    return { status: 'posted', id };
  });

  const posted = valid.filter((_, index) => results[index] !== undefined);
  if (posted.length > 0) {
    const accountIds = await ensureAccounts(trx, posted.flatMap((v) => v.postings.map((posting) => posting.account)));
    const entries = valid.flatMap((v, index) => {
      const result = results[index];
      return result ? v.postings.map((posting) => ({ transactionId: result.id, posting })) : [];
    });
    await trx
      .insertInto('ledger_entries')
      .columns(['transaction_id', 'account_id', 'amount', 'currency'])
      .expression(
        sql`select * from unnest(
          ${entries.map((entry) => entry.transactionId)}::uuid[],
          ${entries.map((entry) => accountIds.get(entry.posting.account.code) as string)}::uuid[],
          ${entries.map((entry) => entry.posting.amount)}::int8[],
          ${entries.map((entry) => entry.posting.account.currency)}::text[]
        )`,
      )
      .execute();
  }

  const duplicates = valid.flatMap((v, index) => (results[index] ? [] : [{ index, ...v }]));
  if (duplicates.length > 0) {
    // Both candidates per element (the reference is unique, and so is kind + Stripe object). A row
    // inserted by a later element did not exist yet when this one would have been posted in turn.
    const withStripeId = duplicates.filter((d) => d.stripeObjectId !== null);
    const { rows } = await sql<{ n: number; id: string; by_reference: boolean }>`
      select d.n, t.id, true as by_reference
        from unnest(${duplicates.map((d) => d.index)}::int[], ${duplicates.map((d) => d.tx.reference)}::text[]) as d(n, reference)
        join ledger_transactions t on t.reference = d.reference
      union all
      select d.n, t.id, false
        from unnest(${withStripeId.map((d) => d.index)}::int[], ${withStripeId.map((d) => d.tx.kind)}::text[], ${withStripeId.map((d) => d.stripeObjectId)}::text[])
          as d(n, kind, stripe_object_id)
        join ledger_transactions t on t.kind = d.kind and t.stripe_object_id = d.stripe_object_id`.execute(trx);
    const candidates = new Map<number, { id: string; by_reference: boolean }[]>();
    for (const row of rows) {
      if ((postedBy.get(row.id) ?? -1) > row.n) continue;
      candidates.set(row.n, [...(candidates.get(row.n) ?? []), row]);
    }
    for (const { index, tx } of duplicates) {
      const found = candidates.get(index) ?? [];
      const existing = found.find((row) => row.by_reference) ?? found[0];
      // Unreachable under read committed: the conflicting row is committed (or ours) by now.
      if (!existing) throw new Error(`Ledger transaction ${tx.reference} conflicted, but the existing row is not visible`);
      results[index] = { status: 'duplicate', id: existing.id };
    }
  }
  return results as PostResult[];
}

/**
 * Creates missing accounts (in code order, so concurrent posters lock them in the same order) and
 * returns every account's id, in one statement: the insert returns the accounts it created, the
 * select those that existed (a statement does not see its own CTE's inserts).
 */
async function ensureAccounts(trx: Executor, accounts: ResolvedAccount[]): Promise<Map<string, string>> {
  const byCode = new Map(accounts.map((account) => [account.code, account]));
  const codes = [...byCode.keys()].sort();
  const rows = await trx
    .with('created', (qb) =>
      qb
        .insertInto('ledger_accounts')
        .values(codes.map((code) => {
          const account = byCode.get(code) as ResolvedAccount;
          return { code, kind: account.kind, currency: account.currency, maker_id: account.makerId };
        }))
        .onConflict((oc) => oc.column('code').doNothing())
        .returning(['id', 'code']),
    )
    .selectFrom('created')
    .select(['created.id', 'created.code'])
    .unionAll((qb) => qb.selectFrom('ledger_accounts').select(['ledger_accounts.id', 'ledger_accounts.code']).where('ledger_accounts.code', 'in', codes))
    .execute();
  const ids = new Map(rows.map((row) => [row.code, row.id]));
  const missing = codes.filter((code) => !ids.has(code));
  if (missing.length > 0) {
    // Created by a concurrent poster that committed after this statement took its snapshot:
    // the insert waited for it, the select could not see it. A new statement does.
    const late = await trx.selectFrom('ledger_accounts').select(['id', 'code']).where('code', 'in', missing).execute();
    for (const row of late) ids.set(row.code, row.id);
  }
  for (const code of codes) if (!ids.has(code)) throw new Error(`Ledger account ${code} was not created`);
  return ids;
}

/**
 * The account's balance in the posting sign convention: debits minus credits. An asset such as
 * stripe_balance is positive; a liability (maker_payable) or revenue is negative. 0 for an account
 * never posted to. For what a maker is owed as a positive number, use makerBalances.
 */
export async function accountBalance(db: Executor, account: AccountRef): Promise<number> {
  const { code } = resolveAccount(account);
  const row = await db
    .selectFrom('ledger_entries')
    .innerJoin('ledger_accounts', 'ledger_accounts.id', 'ledger_entries.account_id')
    .select(sql<number>`coalesce(sum(ledger_entries.amount), 0)::int8`.as('balance'))
    .where('ledger_accounts.code', '=', code)
    .executeTakeFirstOrThrow();
  return row.balance;
}

/**
 * What Makerfund owes the maker, per currency, as a positive number (credits minus debits of
 * their maker_payable accounts). One row per currency the maker has ever been posted in.
 */
export async function makerBalances(db: Executor, makerId: string): Promise<{ currency: string; payable: number }[]> {
  const id = requireUuid('makerId', makerId);
  return db
    .selectFrom('ledger_accounts')
    .leftJoin('ledger_entries', 'ledger_entries.account_id', 'ledger_accounts.id')
    .select(['ledger_accounts.currency', sql<number>`coalesce(-sum(ledger_entries.amount), 0)::int8`.as('payable')])
    .where('ledger_accounts.maker_id', '=', id)
    .where(sql<boolean>`left(ledger_accounts.code, 14) = 'maker_payable:'`)
    .groupBy('ledger_accounts.currency')
    .orderBy('ledger_accounts.currency')
    .execute();
}
