import type Stripe from 'stripe';
import { invoicePledgeRef } from '#app/modules/pledges/stripe-objects.ts';
import { refreshInvoice, refreshInvoices, type InvoiceRefresh } from '#app/modules/pledges/sync.server.ts';
import { refreshSet, type StripeEventHandler } from './types.ts';

/** invoice.paid|payment_failed|payment_action_required: the current invoice (and its subscription) is applied. */
export const invoiceChanged: StripeEventHandler = (db, event) => {
  const invoice = event.data.object as Stripe.Invoice;
  const ref = invoicePledgeRef(invoice);
  const invoiceId = invoice.id;
  if (!ref || !invoiceId) return 'not_ours';
  const subscription = invoice.parent?.subscription_details?.subscription;
  const subscriptionId = typeof subscription === 'string' ? subscription : subscription?.id;
  return {
    key: `invoice:${invoiceId}`,
    covers: subscriptionId ? [`subscription:${subscriptionId}`] : [],
    run: () => refreshInvoice(db, invoiceId, ref),
    set: refreshSet<InvoiceRefresh>('invoice', { invoiceId, ref, created: invoice.created, paidAt: invoice.status_transitions?.paid_at }, (items) => refreshInvoices(db, items)),
  };
};
