import type Stripe from 'stripe';
import { refreshInvoiceOfCharge, refreshInvoicesOfCharges, type ChargeRefresh } from '#app/modules/pledges/sync.server.ts';
import { refreshSet, type StripeEventHandler } from './types.ts';

/**
 * charge.succeeded|updated: Stripe's fee arrives with the charge's balance transaction, which
 * can still be null when the invoice is paid. The charge's invoice is applied again, which posts
 * the fee once. Late: the invoice's own events in the same batch have usually recorded the
 * charge and its fee by then. Charges that pay no invoice (campaign pledges) are not handled here.
 */
export const chargeChanged: StripeEventHandler = (db, event) => {
  const charge = event.data.object as Stripe.Charge;
  const paymentIntentId = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
  if (!paymentIntentId || charge.status !== 'succeeded') return 'ignored';
  const item: ChargeRefresh = { chargeId: charge.id, paymentIntentId };
  return {
    key: `charge:${charge.id}`,
    late: true,
    run: () => refreshInvoiceOfCharge(db, charge.id, paymentIntentId),
    set: refreshSet('charge', item, (items) => refreshInvoicesOfCharges(db, items)),
  };
};
