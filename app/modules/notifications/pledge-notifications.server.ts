import type { Database, Executor } from '#app/core/db.server.ts';
import { sendEmail } from '#app/core/email.server.ts';
import { env } from '#app/core/env.server.ts';
import { paymentProblemEmail, pledgeEndedEmail, receiptEmail } from './pledge-emails.ts';

/**
 * The jobs behind pledge emails. Each reads the current state when it runs: a failure notice
 * for an invoice that got paid in the meantime is not sent, and a receipt goes out once.
 */

function pledgeDetails(db: Executor) {
  return db
    .selectFrom('pledges')
    .innerJoin('projects', 'projects.id', 'pledges.project_id')
    .innerJoin('users as maker', 'maker.id', 'projects.maker_id')
    .innerJoin('users as patron', 'patron.id', 'pledges.patron_id')
    .innerJoin('tiers', 'tiers.id', 'pledges.tier_id')
    .select([
      'pledges.id as pledge_id',
      'pledges.interval',
      'pledges.amount',
      'pledges.currency',
      'pledges.ended_at',
      'projects.name as project_name',
      'projects.slug as project_slug',
      'maker.handle as maker_handle',
      'maker.display_name as maker_name',
      'patron.email as patron_email',
      'patron.display_name as patron_name',
      'tiers.name as tier_name',
    ]);
}

type ReceiptOutcome = 'sent' | 'skipped';

/**
 * Sends the receipts of paid periods with their fee breakdown, each once, for a set of invoices
 * (a renewal wave's receipts arrive as one job). The row locks make a second job wait and then
 * find receipt_sent_at set; a crash after sending and before commit sends them again on retry (a
 * duplicate receipt is better than a missing one). An email that fails is that invoice's error
 * alone: the others are marked sent.
 */
export async function sendPledgeReceipts(db: Database, pledgeInvoiceIds: string[]): Promise<(ReceiptOutcome | Error)[]> {
  const ids = [...new Set(pledgeInvoiceIds)].sort();
  if (ids.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const invoices = await trx.selectFrom('pledge_invoices').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
    const due = invoices.filter((invoice) => !invoice.receipt_sent_at && invoice.status === 'paid' && invoice.stripe_fee !== null && invoice.platform_fee !== null && invoice.maker_net !== null);
    const pledgeIds = [...new Set(due.map((invoice) => invoice.pledge_id))];
    const pledges = new Map((pledgeIds.length === 0 ? [] : await pledgeDetails(trx).where('pledges.id', 'in', pledgeIds).execute()).map((pledge) => [pledge.pledge_id, pledge]));
    const appUrl = env().APP_URL;
    const sent = new Set<string>();
    const failed = new Map<string, Error>();
    for (const invoice of due) {
      try {
        const pledge = pledges.get(invoice.pledge_id);
        if (!pledge) throw new Error(`pledge ${invoice.pledge_id} of invoice ${invoice.id} not found`);
        await sendEmail(
          receiptEmail({
            patron: { email: pledge.patron_email, displayName: pledge.patron_name },
            projectName: pledge.project_name,
            makerName: pledge.maker_name,
            tierName: pledge.tier_name,
            interval: pledge.interval,
            currency: invoice.currency,
            invoiceNumber: invoice.number,
            paidAt: invoice.paid_at ?? invoice.updated_at,
            periodStart: invoice.period_start,
            periodEnd: invoice.period_end,
            gross: invoice.amount_paid,
            stripeFee: invoice.stripe_fee as number,
            platformFee: invoice.platform_fee as number,
            platformFeeBasisPoints: invoice.platform_fee_basis_points ?? env().PLATFORM_FEE_BASIS_POINTS,
            makerNet: invoice.maker_net as number,
            hostedInvoiceUrl: invoice.hosted_invoice_url,
            manageUrl: `${appUrl}/patron/pledges/${pledge.pledge_id}`,
          }),
        );
        sent.add(invoice.id);
      } catch (error) {
        failed.set(invoice.id, error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (sent.size > 0) await trx.updateTable('pledge_invoices').set({ receipt_sent_at: new Date() }).where('id', 'in', [...sent]).execute();
    return pledgeInvoiceIds.map((id) => failed.get(id) ?? (sent.has(id) ? 'sent' : 'skipped'));
  });
}

/** One receipt; see sendPledgeReceipts. */
export async function sendPledgeReceipt(db: Database, pledgeInvoiceId: string): Promise<ReceiptOutcome> {
  const [result] = await sendPledgeReceipts(db, [pledgeInvoiceId]);
  if (result instanceof Error) throw result;
  return result ?? 'skipped';
}

export async function sendPaymentProblem(
  db: Database,
  input: { pledgeInvoiceId: string; attempt: number; kind: 'failed' | 'action_required' },
): Promise<'sent' | 'skipped'> {
  const invoice = await db.selectFrom('pledge_invoices').selectAll().where('id', '=', input.pledgeInvoiceId).executeTakeFirst();
  // Paid (or voided) since: nothing for the patron to do any more.
  if (!invoice || invoice.status !== 'open') return 'skipped';
  const pledge = await pledgeDetails(db).where('pledges.id', '=', invoice.pledge_id).executeTakeFirstOrThrow();
  await sendEmail(
    paymentProblemEmail({
      kind: input.kind,
      patron: { email: pledge.patron_email, displayName: pledge.patron_name },
      projectName: pledge.project_name,
      amount: invoice.amount_due,
      currency: invoice.currency,
      interval: pledge.interval,
      nextAttempt: invoice.next_payment_attempt,
      fixUrl: `${env().APP_URL}/patron`,
      hostedInvoiceUrl: invoice.hosted_invoice_url,
    }),
  );
  return 'sent';
}

export async function sendPledgeEnded(db: Database, input: { pledgeId: string; reason: 'payment_failed' | 'cancelled' }): Promise<'sent' | 'skipped'> {
  const pledge = await pledgeDetails(db).where('pledges.id', '=', input.pledgeId).where('pledges.status', '=', 'ended').executeTakeFirst();
  if (!pledge) return 'skipped';
  await sendEmail(
    pledgeEndedEmail({
      reason: input.reason,
      patron: { email: pledge.patron_email, displayName: pledge.patron_name },
      projectName: pledge.project_name,
      tierName: pledge.tier_name,
      endedAt: pledge.ended_at,
      projectUrl: `${env().APP_URL}/@${pledge.maker_handle}/${pledge.project_slug}`,
    }),
  );
  return 'sent';
}
