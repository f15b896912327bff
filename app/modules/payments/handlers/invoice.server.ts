import type Stripe from 'stripe';
import { invoicePledgeRef } from '#app/modules/pledges/stripe-objects.ts';
import { refreshInvoice } from '#app/modules/pledges/sync.server.ts';
import type { StripeEventHandler } from './types.ts';

/** invoice.paid|payment_failed|payment_action_required: the current invoice (and its subscription) is applied. */
export const invoiceChanged: StripeEventHandler = async (db, event) => {
  const invoice = event.data.object as Stripe.Invoice;
  const ref = invoicePledgeRef(invoice);
  if (!ref || !invoice.id) return 'not_ours';
  return refreshInvoice(db, invoice.id, ref);
};
