import { chargeSucceeded } from './charge.succeeded.server.ts';
import { chargeUpdated } from './charge.updated.server.ts';
import { checkoutSessionCompleted } from './checkout.session.completed.server.ts';
import { checkoutSessionExpired } from './checkout.session.expired.server.ts';
import { customerSubscriptionCreated } from './customer.subscription.created.server.ts';
import { customerSubscriptionDeleted } from './customer.subscription.deleted.server.ts';
import { customerSubscriptionUpdated } from './customer.subscription.updated.server.ts';
import { invoicePaid } from './invoice.paid.server.ts';
import { invoicePaymentActionRequired } from './invoice.payment_action_required.server.ts';
import { invoicePaymentFailed } from './invoice.payment_failed.server.ts';
import type { StripeEventHandler } from './types.ts';

/**
 * Every Stripe event type we act on, each in a file named after it. Anything else is recorded
 * and marked 'ignored' — including invoice.payment_succeeded, which duplicates invoice.paid.
 */
export const stripeEventHandlers: Readonly<Record<string, StripeEventHandler>> = {
  'checkout.session.completed': checkoutSessionCompleted,
  'checkout.session.expired': checkoutSessionExpired,
  'customer.subscription.created': customerSubscriptionCreated,
  'customer.subscription.updated': customerSubscriptionUpdated,
  'customer.subscription.deleted': customerSubscriptionDeleted,
  'invoice.paid': invoicePaid,
  'invoice.payment_failed': invoicePaymentFailed,
  'invoice.payment_action_required': invoicePaymentActionRequired,
  'charge.succeeded': chargeSucceeded,
  'charge.updated': chargeUpdated,
};
