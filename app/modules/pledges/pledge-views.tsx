import { Form } from '@remix-run/react';
import { formatMoney } from '#app/utils/money.ts';
import { amountLabel, formatDay } from './labels.ts';
import type { PatronPledge, Receipt } from './patron.server.ts';
import { nextChargeDate, statusLabel } from './status.ts';

/** Pieces of the patron pages (/patron and /patron/pledges/:id). */

export function StatusBadge({ pledge }: { pledge: Pick<PatronPledge, 'status' | 'cancelAtPeriodEnd' | 'currentPeriodEnd'> }) {
  const { label, tone } = statusLabel(pledge, formatDay);
  return <span className={`pledge-status pledge-status-${tone}`}>{label}</span>;
}

export function PledgeFacts({ pledge }: { pledge: PatronPledge }) {
  const next = nextChargeDate(pledge);
  return (
    <dl className="pledge-facts">
      <div>
        <dt>Tier</dt>
        <dd>{pledge.tierName}</dd>
      </div>
      <div>
        <dt>Amount</dt>
        <dd>{amountLabel(pledge.amount, pledge.currency, pledge.interval)}</dd>
      </div>
      {next ? (
        <div>
          <dt>Next charge</dt>
          <dd>{formatDay(next)}</dd>
        </div>
      ) : null}
      {pledge.status === 'past_due' ? (
        <div>
          <dt>Next try</dt>
          <dd>{pledge.retryAt ? formatDay(pledge.retryAt) : 'No more automatic tries'}</dd>
        </div>
      ) : null}
      {pledge.status === 'ended' && pledge.endedAt ? (
        <div>
          <dt>Ended</dt>
          <dd>{formatDay(pledge.endedAt)}</dd>
        </div>
      ) : null}
      {pledge.scheduled ? (
        <div className="pledge-scheduled">
          <dt>Scheduled change</dt>
          <dd>
            Changes to {pledge.scheduled.tierName} ({amountLabel(pledge.scheduled.amount, pledge.currency, pledge.interval)}) on {formatDay(pledge.scheduled.changeAt)}
          </dd>
        </div>
      ) : null}
    </dl>
  );
}

/** The card fix for a past-due pledge: Stripe's customer portal. */
export function UpdateCardForm({ label = 'Update your card' }: { label?: string }) {
  return (
    <Form method="post" action="/patron/portal">
      <button type="submit">{label}</button>
    </Form>
  );
}

const REASONS: Record<string, string> = {
  subscription_create: 'First payment',
  subscription_cycle: 'Renewal',
  subscription_update: 'Tier change',
};

export function Receipts({ receipts, caption }: { receipts: Receipt[]; caption: string }) {
  if (receipts.length === 0) return <p className="muted">No payments yet.</p>;
  return (
    <div className="table-scroll">
      <table className="receipts">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">What</th>
            <th scope="col">Paid</th>
            <th scope="col">Stripe fee</th>
            <th scope="col">Makerfund fee</th>
            <th scope="col">To the maker</th>
            <th scope="col">
              <span className="visually-hidden">Invoice</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {receipts.map((receipt) => {
            const money = (amount: number | null) => (amount === null ? '—' : formatMoney(amount, receipt.currency));
            return (
              <tr key={receipt.id}>
                <td>{receipt.paidAt ? formatDay(receipt.paidAt) : '—'}</td>
                <td>
                  {REASONS[receipt.billingReason ?? ''] ?? 'Payment'}
                  {receipt.periodStart && receipt.periodEnd && receipt.billingReason !== 'subscription_update' ? (
                    <span className="muted receipt-period">
                      {formatDay(receipt.periodStart)} – {formatDay(receipt.periodEnd)}
                    </span>
                  ) : null}
                </td>
                <td>{money(receipt.amountPaid)}</td>
                <td>{money(receipt.stripeFee)}</td>
                <td>{money(receipt.platformFee)}</td>
                <td>{money(receipt.makerNet)}</td>
                <td>
                  {receipt.hostedInvoiceUrl ? (
                    <a href={receipt.hostedInvoiceUrl} rel="noopener noreferrer" title={receipt.number ? `Invoice ${receipt.number}` : undefined}>
                      Invoice
                    </a>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
