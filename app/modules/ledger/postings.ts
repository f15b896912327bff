import { platformFee } from './fees.ts';
import type { NewTransaction, Posting } from './ledger.server.ts';

/**
 * The ledger transactions the payments pipeline posts, built here so no handler writes
 * postings by hand. Pure: validation of currencies and ids happens in postTransaction.
 *
 * A paid invoice becomes two transactions, because Stripe reports the fee later than the
 * payment (the charge's balance transaction can still be null on charge.succeeded):
 *   invoice_payment  Dr stripe_balance gross; Cr maker_payable gross − platform fee; Cr platform_revenue platform fee
 *   stripe_fee       Dr maker_payable fee;    Cr stripe_balance fee
 * After both, maker_payable = gross − Stripe fee − platform fee (splitPayment's makerNet) and
 * stripe_balance equals what Stripe actually holds.
 */

function requirePositiveAmount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer amount in minor units, got ${String(value)} (post nothing for a zero amount)`);
  }
}

function requireId(name: string, value: string): void {
  if (typeof value !== 'string' || value === '') throw new RangeError(`${name} must be a non-empty Stripe id`);
}

/** Without zero legs: a 0 % fee (or a 100 % one) leaves one side with nothing to post. */
function nonZero(postings: Posting[]): Posting[] {
  return postings.filter((posting) => posting.amount !== 0);
}

export function invoicePaidTransaction(input: {
  invoiceId: string;
  gross: number;
  currency: string;
  makerId: string;
  platformFeeBasisPoints: number;
  occurredAt: Date;
  pledgeId?: string | null;
  projectId?: string | null;
}): NewTransaction {
  requireId('invoiceId', input.invoiceId);
  requirePositiveAmount('gross', input.gross);
  const fee = platformFee(input.gross, input.platformFeeBasisPoints);
  const { currency, makerId } = input;
  return {
    reference: `invoice_paid:${input.invoiceId}`,
    kind: 'invoice_payment',
    stripeObjectId: input.invoiceId,
    currency,
    postings: nonZero([
      { account: { type: 'stripe_balance', currency }, amount: input.gross },
      { account: { type: 'maker_payable', currency, makerId }, amount: -(input.gross - fee) },
      { account: { type: 'platform_revenue', currency }, amount: -fee },
    ]),
    description: `Invoice ${input.invoiceId} paid`,
    occurredAt: input.occurredAt,
    pledgeId: input.pledgeId ?? null,
    projectId: input.projectId ?? null,
  };
}

export function stripeFeeTransaction(input: {
  balanceTransactionId: string;
  fee: number;
  currency: string;
  makerId: string;
  occurredAt: Date;
  pledgeId?: string | null;
  projectId?: string | null;
  invoiceId?: string | null;
}): NewTransaction {
  requireId('balanceTransactionId', input.balanceTransactionId);
  requirePositiveAmount('fee', input.fee);
  const { currency, makerId } = input;
  return {
    reference: `stripe_fee:${input.balanceTransactionId}`,
    kind: 'stripe_fee',
    stripeObjectId: input.balanceTransactionId,
    currency,
    // The maker bears Stripe's fee (MONEY.md: maker share = gross − Stripe fee − platform fee).
    postings: [
      { account: { type: 'maker_payable', currency, makerId }, amount: input.fee },
      { account: { type: 'stripe_balance', currency }, amount: -input.fee },
    ],
    description: input.invoiceId
      ? `Stripe fee on invoice ${input.invoiceId} (${input.balanceTransactionId})`
      : `Stripe fee (${input.balanceTransactionId})`,
    occurredAt: input.occurredAt,
    pledgeId: input.pledgeId ?? null,
    projectId: input.projectId ?? null,
  };
}
