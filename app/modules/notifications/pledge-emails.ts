import type { Email } from '#app/core/email.server.ts';
import { amountLabel, formatDay } from '#app/modules/pledges/labels.ts';
import { formatBasisPoints, formatMoney } from '#app/utils/money.ts';

/** The emails a patron gets about a recurring pledge. Pure: the data comes in, an Email goes out. */

type Patron = { email: string; displayName: string };

function row(label: string, amount: string): string {
  return `  ${`${label}:`.padEnd(34)} ${amount}`;
}

export type ReceiptInput = {
  patron: Patron;
  projectName: string;
  makerName: string;
  tierName: string;
  interval: string;
  currency: string;
  invoiceNumber: string | null;
  paidAt: Date;
  periodStart: Date | null;
  periodEnd: Date | null;
  gross: number;
  stripeFee: number;
  platformFee: number;
  platformFeeBasisPoints: number;
  makerNet: number;
  hostedInvoiceUrl: string | null;
  manageUrl: string;
};

export function receiptEmail(input: ReceiptInput): Email {
  const money = (amount: number) => formatMoney(amount, input.currency);
  const period = input.periodStart && input.periodEnd ? `${formatDay(input.periodStart)} – ${formatDay(input.periodEnd)}` : null;
  return {
    tag: 'pledge-receipt',
    to: input.patron.email,
    subject: `Receipt: ${money(input.gross)} to ${input.projectName}`,
    text: [
      `Hi ${input.patron.displayName},`,
      '',
      `Thank you for backing ${input.projectName} by ${input.makerName} (${input.tierName}).`,
      '',
      `Paid on ${formatDay(input.paidAt)}: ${money(input.gross)}${input.invoiceNumber ? ` (invoice ${input.invoiceNumber})` : ''}`,
      ...(period ? [`Period: ${period}`] : []),
      '',
      'Where your money goes:',
      row(`Stripe's processing fee`, money(input.stripeFee)),
      row(`Makerfund's fee (${formatBasisPoints(input.platformFeeBasisPoints)})`, money(input.platformFee)),
      row(`To ${input.makerName}`, money(input.makerNet)),
      row('Total', money(input.gross)),
      '',
      ...(input.hostedInvoiceUrl ? [`Invoice: ${input.hostedInvoiceUrl}`] : []),
      `Change tier, update your card or cancel: ${input.manageUrl}`,
      '',
      '— Makerfund',
    ].join('\n'),
  };
}

export type PaymentProblemInput = {
  kind: 'failed' | 'action_required';
  patron: Patron;
  projectName: string;
  amount: number;
  currency: string;
  interval: string;
  nextAttempt: Date | null;
  fixUrl: string;
  hostedInvoiceUrl: string | null;
};

export function paymentProblemEmail(input: PaymentProblemInput): Email {
  const amount = amountLabel(input.amount, input.currency, input.interval);
  const lines =
    input.kind === 'action_required'
      ? [
          `Your bank asks you to confirm the ${formatMoney(input.amount, input.currency)} payment for your pledge to ${input.projectName} (${amount}).`,
          '',
          input.hostedInvoiceUrl ? `Confirm it here: ${input.hostedInvoiceUrl}` : `Confirm it from your pledges: ${input.fixUrl}`,
        ]
      : [
          `We could not collect ${formatMoney(input.amount, input.currency)} for your pledge to ${input.projectName} (${amount}).`,
          'Your benefits continue while we try again.',
          '',
          input.nextAttempt
            ? `We will try your card again on ${formatDay(input.nextAttempt)}.`
            : 'That was our last try: update your card now to keep your pledge.',
          `Update your card: ${input.fixUrl}`,
        ];
  return {
    tag: input.kind === 'action_required' ? 'pledge-payment-action-required' : 'pledge-payment-failed',
    to: input.patron.email,
    subject:
      input.kind === 'action_required'
        ? `Confirm your payment to ${input.projectName}`
        : `Your payment to ${input.projectName} failed — please update your card`,
    text: [`Hi ${input.patron.displayName},`, '', ...lines, '', '— Makerfund'].join('\n'),
  };
}

export type PledgeEndedInput = {
  reason: 'payment_failed' | 'cancelled';
  patron: Patron;
  projectName: string;
  tierName: string;
  endedAt: Date | null;
  projectUrl: string;
};

export function pledgeEndedEmail(input: PledgeEndedInput): Email {
  const when = input.endedAt ? ` on ${formatDay(input.endedAt)}` : '';
  const body =
    input.reason === 'payment_failed'
      ? [
          `We tried several times but could not collect your payment, so your pledge to ${input.projectName} (${input.tierName}) ended${when}.`,
          'You will not be charged again.',
          '',
          `You can pledge again any time: ${input.projectUrl}`,
        ]
      : [
          `Your pledge to ${input.projectName} (${input.tierName}) ended${when}, as you asked. You will not be charged again.`,
          '',
          `Thank you for your support. Come back any time: ${input.projectUrl}`,
        ];
  return {
    tag: input.reason === 'payment_failed' ? 'pledge-ended-payment-failed' : 'pledge-ended',
    to: input.patron.email,
    subject: `Your pledge to ${input.projectName} has ended`,
    text: [`Hi ${input.patron.displayName},`, '', ...body, '', '— Makerfund'].join('\n'),
  };
}
