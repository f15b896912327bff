import { subscriptionChanged } from './subscription.server.ts';

/** Stripe gave up on payment, or the period ended after a cancellation: the pledge ends. */
export const customerSubscriptionDeleted = subscriptionChanged;
