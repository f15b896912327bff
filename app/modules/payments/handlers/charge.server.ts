import type Stripe from 'stripe';
import { stripe } from '#app/modules/payments/stripe.server.ts';
import { invoicePledgeRef } from '#app/modules/pledges/stripe-objects.ts';
import { refreshInvoice } from '#app/modules/pledges/sync.server.ts';
import type { StripeEventHandler } from './types.ts';

/**
 * charge.succeeded|updated: Stripe's fee arrives with the charge's balance transaction, which
 * can still be null when the invoice is paid. Charges of subscription invoices carry no
 * metadata of their own: the invoice is found through its InvoicePayment, then applied again,
 * which posts the fee once. Charges that pay no invoice (campaign pledges) are not handled here.
 */
export const chargeChanged: StripeEventHandler = async (db, event) => {
  const charge = event.data.object as Stripe.Charge;
  const paymentIntentId = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
  if (!paymentIntentId || charge.status !== 'succeeded') return 'ignored';
  const payments = await stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: paymentIntentId }, limit: 1 });
  const invoiceRef = payments.data[0]?.invoice;
  const invoiceId = typeof invoiceRef === 'string' ? invoiceRef : invoiceRef?.id;
  if (!invoiceId) return 'ignored';
  const invoice = await stripe.invoices.retrieve(invoiceId);
  const ref = invoicePledgeRef(invoice);
  if (!ref) return 'not_ours';
  return refreshInvoice(db, invoiceId, ref);
};
