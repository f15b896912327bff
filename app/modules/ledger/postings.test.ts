import { expect, test } from 'vitest';
import { splitPayment } from './fees.ts';
import { invoicePaidTransaction, stripeFeeTransaction } from './postings.ts';

const makerId = '0b7a4a9e-3f55-4c4b-9d1a-2f1a8c7e5d10';
const occurredAt = new Date('2026-11-21T12:00:00Z');

test('a paid invoice debits the Stripe balance and credits the maker and the platform fee', () => {
  const tx = invoicePaidTransaction({
    invoiceId: 'in_123',
    gross: 1000,
    currency: 'usd',
    makerId,
    platformFeeBasisPoints: 500,
    occurredAt,
    pledgeId: 'a4f1f7a2-5c4e-4b7a-8f55-0c2d4b1e9a01',
    projectId: null,
  });
  expect(tx).toEqual({
    reference: 'invoice_paid:in_123',
    kind: 'invoice_payment',
    stripeObjectId: 'in_123',
    currency: 'usd',
    postings: [
      { account: { type: 'stripe_balance', currency: 'usd' }, amount: 1000 },
      { account: { type: 'maker_payable', currency: 'usd', makerId }, amount: -950 },
      { account: { type: 'platform_revenue', currency: 'usd' }, amount: -50 },
    ],
    description: 'Invoice in_123 paid',
    occurredAt,
    pledgeId: 'a4f1f7a2-5c4e-4b7a-8f55-0c2d4b1e9a01',
    projectId: null,
  });
});

test('a 0 % platform fee leaves out the platform leg instead of posting a zero amount', () => {
  const tx = invoicePaidTransaction({ invoiceId: 'in_1', gross: 700, currency: 'eur', makerId, platformFeeBasisPoints: 0, occurredAt });
  expect(tx.postings).toEqual([
    { account: { type: 'stripe_balance', currency: 'eur' }, amount: 700 },
    { account: { type: 'maker_payable', currency: 'eur', makerId }, amount: -700 },
  ]);
  expect(tx.pledgeId).toBeNull();
});

test("Stripe's fee is taken from the maker's share and out of the Stripe balance", () => {
  const tx = stripeFeeTransaction({ balanceTransactionId: 'txn_9', fee: 59, currency: 'usd', makerId, occurredAt, invoiceId: 'in_123' });
  expect(tx.reference).toBe('stripe_fee:txn_9');
  expect(tx.kind).toBe('stripe_fee');
  expect(tx.stripeObjectId).toBe('txn_9');
  expect(tx.postings).toEqual([
    { account: { type: 'maker_payable', currency: 'usd', makerId }, amount: 59 },
    { account: { type: 'stripe_balance', currency: 'usd' }, amount: -59 },
  ]);
  expect(tx.description).toContain('in_123');
});

test('both transactions together leave the maker exactly the split’s net and balance to zero', () => {
  for (const [gross, fee, bps] of [[1000, 59, 500], [500, 45, 250], [99_999, 2930, 1234], [50, 30, 5000]] as const) {
    const paid = invoicePaidTransaction({ invoiceId: 'in_x', gross, currency: 'usd', makerId, platformFeeBasisPoints: bps, occurredAt });
    const stripeFee = stripeFeeTransaction({ balanceTransactionId: 'txn_x', fee, currency: 'usd', makerId, occurredAt });
    const all = [...paid.postings, ...stripeFee.postings];
    const byAccount = (type: string) => all.filter((posting) => posting.account.type === type).reduce((sum, posting) => sum + posting.amount, 0);
    const split = splitPayment({ gross, stripeFee: fee, platformFeeBasisPoints: bps });
    expect(paid.postings.reduce((sum, posting) => sum + posting.amount, 0)).toBe(0);
    expect(stripeFee.postings.reduce((sum, posting) => sum + posting.amount, 0)).toBe(0);
    expect(-byAccount('maker_payable')).toBe(split.makerNet);
    expect(-byAccount('platform_revenue')).toBe(split.platformFee);
    expect(byAccount('stripe_balance')).toBe(gross - fee);
  }
});

test('builders refuse zero, negative and fractional amounts and empty ids', () => {
  const base = { invoiceId: 'in_1', gross: 1000, currency: 'usd', makerId, platformFeeBasisPoints: 500, occurredAt };
  for (const gross of [0, -100, 10.5, Number.NaN]) expect(() => invoicePaidTransaction({ ...base, gross })).toThrow(RangeError);
  expect(() => invoicePaidTransaction({ ...base, invoiceId: '' })).toThrow(RangeError);
  expect(() => invoicePaidTransaction({ ...base, platformFeeBasisPoints: 10_001 })).toThrow(RangeError);
  const fee = { balanceTransactionId: 'txn_1', fee: 30, currency: 'usd', makerId, occurredAt };
  for (const amount of [0, -1, 0.3]) expect(() => stripeFeeTransaction({ ...fee, fee: amount })).toThrow(RangeError);
  expect(() => stripeFeeTransaction({ ...fee, balanceTransactionId: '' })).toThrow(RangeError);
});
