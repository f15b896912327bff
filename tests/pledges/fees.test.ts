import type Stripe from 'stripe';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startStripeStory, type StripeStory } from '#tests/stripe.ts';

/**
 * Stripe's fee can arrive after the payment (the charge's balance transaction is null on
 * invoice.paid, then charge.updated brings it). The sandbox books fees at once, so this drives
 * applyInvoice with the two shapes real Stripe sends, in both orders.
 */

let story: StripeStory;
let sync: typeof import('#app/modules/pledges/sync.server.ts');
beforeAll(async () => {
  story = await startStripeStory();
  sync = await import('#app/modules/pledges/sync.server.ts');
});
afterAll(async () => {
  await story?.close();
});

async function activePledge() {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron({ clock: false });
  const pledge = await story.db
    .insertInto('pledges')
    .values({ patron_id: pat.id, project_id: project.id, tier_id: tiers[0]!.id, interval: 'month', amount: 500, currency: 'eur', status: 'active' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { maker, project, patron: pat, pledgeId: pledge.id };
}

function paidInvoice(id: string, pledgeId: string): Stripe.Invoice {
  const now = Math.floor(Date.now() / 1000);
  return {
    id,
    object: 'invoice',
    status: 'paid',
    number: 'MF-0001',
    billing_reason: 'subscription_cycle',
    currency: 'eur',
    amount_due: 500,
    amount_paid: 500,
    attempt_count: 1,
    next_payment_attempt: null,
    hosted_invoice_url: null,
    status_transitions: { paid_at: now, finalized_at: now, marked_uncollectible_at: null, voided_at: null },
    parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription: 'sub_x', metadata: { pledge_id: pledgeId } } },
    lines: { object: 'list', has_more: false, url: '', data: [{ period: { start: now, end: now + 30 * 86400 }, parent: { subscription_item_details: { proration: false } } }] },
  } as unknown as Stripe.Invoice;
}

function payment(fee: number | null): NonNullable<Parameters<typeof sync.applyInvoice>[3]> {
  const balanceTransaction = fee === null ? null : ({ id: `txn_${Math.random().toString(36).slice(2)}`, fee, currency: 'eur', created: Math.floor(Date.now() / 1000) } as Stripe.BalanceTransaction);
  return {
    intentStatus: 'succeeded',
    charge: { id: 'ch_1', balance_transaction: balanceTransaction } as unknown as Stripe.Charge,
    balanceTransaction,
  };
}

async function apply(pledgeId: string, invoice: Stripe.Invoice, paid: ReturnType<typeof payment>) {
  await story.db.transaction().execute(async (trx) => {
    const pledge = await sync.lockPledge(trx, { pledgeId, projectId: null });
    await sync.applyInvoice(trx, pledge!, invoice, paid, 'active');
  });
}

async function receiptJobs(pledgeInvoiceId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id, json_array_elements(j.payload) entry
    where t.identifier = 'send_pledge_receipts' and entry->>'pledgeInvoiceId' = ${pledgeInvoiceId}`.execute(story.db);
  return rows[0]?.n ?? 0;
}

test('paid before the fee is known: the payment is posted now, the fee and the receipt when it arrives, each once', async () => {
  const { maker, project, patron, pledgeId } = await activePledge();
  const invoice = paidInvoice(`in_late_fee_${pledgeId.slice(0, 8)}`, pledgeId);
  await story.worker.stop();
  try {
    await apply(pledgeId, invoice, payment(null));
    let row = await story.db.selectFrom('pledge_invoices').selectAll().where('stripe_invoice_id', '=', invoice.id as string).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'paid', amount_paid: 500, stripe_fee: null, platform_fee: null, maker_net: null, platform_fee_basis_points: 500 });
    expect(await receiptJobs(row.id)).toBe(0);
    expect(await story.balances(project.id)).toEqual({ 'stripe_balance:eur': 500, 'platform_revenue:eur': -25, [`maker_payable:${maker.id}:eur`]: -475 });

    const withFee = payment(45);
    await apply(pledgeId, invoice, withFee);
    await apply(pledgeId, invoice, withFee);
    row = await story.db.selectFrom('pledge_invoices').selectAll().where('stripe_invoice_id', '=', invoice.id as string).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ stripe_fee: 45, platform_fee: 25, maker_net: 430, stripe_balance_transaction_id: withFee.balanceTransaction!.id });
    // Queued (each application that knows the fee asks for it), sent once below.
    expect(await receiptJobs(row.id)).toBeGreaterThan(0);
    expect(await story.balances(project.id)).toEqual({ 'stripe_balance:eur': 455, 'platform_revenue:eur': -25, [`maker_payable:${maker.id}:eur`]: -430 });
    // A late copy of the fee-less invoice.paid changes nothing that is known.
    await apply(pledgeId, invoice, payment(null));
    expect(await story.balances(project.id)).toEqual({ 'stripe_balance:eur': 455, 'platform_revenue:eur': -25, [`maker_payable:${maker.id}:eur`]: -430 });
    row = await story.db.selectFrom('pledge_invoices').selectAll().where('stripe_invoice_id', '=', invoice.id as string).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ stripe_fee: 45, maker_net: 430, stripe_balance_transaction_id: withFee.balanceTransaction!.id });
  } finally {
    await story.restartWorker();
  }
  await story.settle();
  const receipts = (await story.emailsTo(patron.email)).filter((email) => email.subject.startsWith('Receipt:'));
  expect(receipts).toHaveLength(1);
  expect(receipts[0]?.text).toContain('0.45');
  await story.expectInvariants();
});

test('a set of receipts is one job: each paid period with a known fee is mailed once, the rest are skipped, and the job answers per entry', async () => {
  const { patron, pledgeId } = await activePledge();
  const notifications = await import('#app/modules/notifications/pledge-notifications.server.ts');
  const { taskList } = await import('#app/tasks.server.ts');
  await story.worker.stop();
  try {
    const withFee = paidInvoice(`in_set_fee_${pledgeId.slice(0, 8)}`, pledgeId);
    const noFee = paidInvoice(`in_set_nofee_${pledgeId.slice(0, 8)}`, pledgeId);
    const next = Math.floor(Date.now() / 1000) + 31 * 86400; // the following period: one paid invoice per period
    (noFee.lines.data[0] as { period: { start: number; end: number } }).period = { start: next, end: next + 30 * 86400 };
    await apply(pledgeId, withFee, payment(45));
    await apply(pledgeId, noFee, payment(null));
    const rowId = async (invoice: Stripe.Invoice) =>
      (await story.db.selectFrom('pledge_invoices').select('id').where('stripe_invoice_id', '=', invoice.id as string).executeTakeFirstOrThrow()).id;
    const [feeRow, noFeeRow] = [await rowId(withFee), await rowId(noFee)];
    const unknown = '00000000-0000-4000-8000-000000000000';

    expect(await notifications.sendPledgeReceipts(story.db, [feeRow, noFeeRow, unknown, feeRow])).toEqual(['sent', 'skipped', 'skipped', 'sent']);
    expect(await notifications.sendPledgeReceipts(story.db, [feeRow])).toEqual(['skipped']);
    const receipts = (await story.emailsTo(patron.email)).filter((email) => email.subject.startsWith('Receipt:'));
    expect(receipts).toHaveLength(1);

    // The job answers per entry (graphile-worker keeps only the rejected ones for the retry);
    // a malformed entry fails the whole payload before anything is sent.
    const task = taskList.send_pledge_receipts!;
    const helpers = {} as Parameters<typeof task>[1];
    const results = (await task([{ pledgeInvoiceId: feeRow }, { pledgeInvoiceId: noFeeRow }], helpers)) as Promise<unknown>[];
    expect(await Promise.allSettled(results)).toEqual([
      { status: 'fulfilled', value: 'skipped' },
      { status: 'fulfilled', value: 'skipped' },
    ]);
    await expect(task([{ pledgeInvoiceId: 'not-a-uuid' }], helpers)).rejects.toThrow();
  } finally {
    await story.restartWorker();
  }
  await story.settle();
});
