// Disputes from the 4000000000000259 test card. Test-mode evidence: the text
// `winning_evidence` wins the dispute; closing it accepts the loss.
import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { CARDS, idOf, indexOfType, loggedEvents, paidIntent, stripeError, useStripe, waitFor, WAIT_MS } from './harness.ts';

const ctx = useStripe();

async function disputedCharge(amount: number): Promise<{ pi: Stripe.PaymentIntent; chargeId: string; dispute: Stripe.Dispute }> {
  const pi = await paidIntent(ctx.stripe, amount, CARDS.createDispute);
  const chargeId = idOf(pi.latest_charge)!;
  const dispute = await waitFor(
    async () => (await ctx.stripe.disputes.list({ charge: chargeId })).data[0],
    { timeoutMs: WAIT_MS, message: () => `no dispute on ${chargeId}` },
  );
  return { pi, chargeId, dispute };
}

test('a dispute withdraws the amount plus a 1500 dispute fee', async () => {
  const { pi, chargeId, dispute } = await disputedCharge(1000);
  expect(dispute.id).toMatch(/^(dp|du)_/);
  expect(dispute).toMatchObject({
    object: 'dispute',
    amount: 1000,
    currency: 'usd',
    charge: chargeId,
    payment_intent: pi.id,
    reason: 'fraudulent',
    status: 'needs_response',
    livemode: false,
  });
  expect(dispute.evidence_details.due_by).toBeGreaterThan(dispute.created);
  expect(dispute.evidence_details.has_evidence).toBe(false);
  expect(dispute.balance_transactions).toHaveLength(1);
  const withdrawal = dispute.balance_transactions[0]!;
  expect(withdrawal).toMatchObject({ amount: -1000, fee: 1500, net: -2500, currency: 'usd', type: 'adjustment', reporting_category: 'dispute', source: dispute.id });
  expect(withdrawal.fee_details).toEqual([expect.objectContaining({ amount: 1500, currency: 'usd', type: 'stripe_fee' })]);
  const created = await ctx.webhooks.waitForEvent('charge.dispute.created', (e) => (e.data.object as Stripe.Dispute).id === dispute.id);
  expect((created.data.object as Stripe.Dispute).status).toBe('needs_response');
  const withdrawn = await ctx.webhooks.waitForEvent('charge.dispute.funds_withdrawn', (e) => (e.data.object as Stripe.Dispute).id === dispute.id);
  expect((withdrawn.data.object as Stripe.Dispute).balance_transactions[0]?.net).toBe(-2500);
  const charge = await ctx.stripe.charges.retrieve(chargeId);
  expect(charge.disputed).toBe(true);
});

test('winning_evidence wins the dispute and reinstates the funds', async () => {
  const { dispute } = await disputedCharge(2000);
  const updated = await ctx.stripe.disputes.update(dispute.id, {
    evidence: { uncategorized_text: 'winning_evidence', customer_email_address: 'patron@example.com' },
  });
  expect(updated.evidence.uncategorized_text).toBe('winning_evidence');
  expect(updated.evidence_details.submission_count).toBe(1);
  const won = await waitFor(
    async () => {
      const d = await ctx.stripe.disputes.retrieve(dispute.id);
      return d.status === 'won' ? d : null;
    },
    { timeoutMs: WAIT_MS, message: () => `dispute ${dispute.id} was not won` },
  );
  expect(won.balance_transactions).toHaveLength(2);
  const reinstated = won.balance_transactions.find((t) => t.amount > 0)!;
  expect(reinstated).toMatchObject({ amount: 2000, reporting_category: 'dispute_reversal', source: dispute.id });
  // The disputed amount always comes back. Whether the 1500 fee does depends on Stripe's
  // fee schedule (returned on a win historically; US accounts since 2025 keep it).
  expect([0, -1500]).toContain(reinstated.fee);
  expect(reinstated.net).toBe(reinstated.amount - reinstated.fee);
  const closed = await ctx.webhooks.waitForEvent('charge.dispute.closed', (e) => (e.data.object as Stripe.Dispute).id === dispute.id);
  expect((closed.data.object as Stripe.Dispute).status).toBe('won');
  await ctx.webhooks.waitForEvent('charge.dispute.funds_reinstated', (e) => (e.data.object as Stripe.Dispute).id === dispute.id);
  await ctx.webhooks.waitForEvent('charge.dispute.updated', (e) => (e.data.object as Stripe.Dispute).id === dispute.id);
});

test('closing a dispute accepts the loss: status lost, no funds back', async () => {
  const { dispute } = await disputedCharge(1000);
  const closed = await ctx.stripe.disputes.close(dispute.id);
  expect(closed.status).toBe('lost');
  expect(closed.balance_transactions).toHaveLength(1);
  expect(closed.balance_transactions[0]).toMatchObject({ amount: -1000, fee: 1500, net: -2500 });
  const event = await ctx.webhooks.waitForEvent('charge.dispute.closed', (e) => (e.data.object as Stripe.Dispute).id === dispute.id);
  expect((event.data.object as Stripe.Dispute).status).toBe('lost');
  expect(ctx.webhooks.eventsOfTypes(['charge.dispute.funds_reinstated'], (e) => (e.data.object as Stripe.Dispute).id === dispute.id)).toEqual([]);
});

test('disputes.list filters by payment_intent', async () => {
  const { pi, dispute } = await disputedCharge(1500);
  const listed = await ctx.stripe.disputes.list({ payment_intent: pi.id });
  expect(listed.data.map((d) => d.id)).toEqual([dispute.id]);
});

test('a disputed charge cannot be refunded (charge_disputed)', async () => {
  const { pi, chargeId } = await disputedCharge(1000);
  const err = await stripeError(ctx.stripe.refunds.create({ payment_intent: pi.id }), Stripe.errors.StripeInvalidRequestError);
  expect(err.code).toBe('charge_disputed');
  expect((await ctx.stripe.charges.retrieve(chargeId)).amount_refunded).toBe(0);
});

test('the event log has charge.dispute.created before charge.dispute.funds_withdrawn', async () => {
  const since = Math.floor(Date.now() / 1000) - 5;
  const { dispute } = await disputedCharge(1000);
  await ctx.webhooks.waitForEvent('charge.dispute.funds_withdrawn', (e) => (e.data.object as Stripe.Dispute).id === dispute.id);
  const log = await loggedEvents(ctx.stripe, (e) => (e.data.object as { id?: string }).id === dispute.id, { created: { gte: since } });
  expect(indexOfType(log, 'charge.dispute.created')).toBeLessThan(indexOfType(log, 'charge.dispute.funds_withdrawn'));
});
