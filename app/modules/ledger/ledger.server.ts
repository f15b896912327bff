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
  const valid = validate(tx);
  if (db.isTransaction) return write(db, tx, valid);
  return db.transaction().execute((trx) => write(trx, tx, valid));
}

async function write(trx: Executor, tx: NewTransaction, valid: Validated): Promise<PostResult> {
  const inserted = await trx
    .insertInto('ledger_transactions')
    .values({
      reference: tx.reference,
      kind: tx.kind,
      stripe_object_id: valid.stripeObjectId,
      pledge_id: valid.pledgeId,
      project_id: valid.projectId,
      description: tx.description,
      occurred_at: tx.occurredAt,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();

  if (!inserted) {
    const existing = await trx
      .selectFrom('ledger_transactions')
      .select('id')
      .where((eb) =>
        eb.or([
          eb('reference', '=', tx.reference),
          ...(valid.stripeObjectId === null ? [] : [eb.and([eb('kind', '=', tx.kind), eb('stripe_object_id', '=', valid.stripeObjectId)])]),
        ]),
      )
      .orderBy(sql`reference = ${tx.reference}`, 'desc')
      .executeTakeFirst();
    // Unreachable under read committed: the conflicting row is committed (or ours) by now.
    if (!existing) throw new Error(`Ledger transaction ${tx.reference} conflicted, but the existing row is not visible`);
    return { status: 'duplicate', id: existing.id };
  }

  const accountIds = await ensureAccounts(trx, valid.postings.map((posting) => posting.account));
  await trx
    .insertInto('ledger_entries')
    .values(
      valid.postings.map((posting) => ({
        transaction_id: inserted.id,
        account_id: accountIds.get(posting.account.code) as string,
        amount: posting.amount,
        currency: posting.account.currency,
      })),
    )
    .execute();
  return { status: 'posted', id: inserted.id };
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
