import { subscriptionChanged } from './subscription.server.ts';

/** Status (past_due, active again), cancel_at_period_end, a renewal's new period, a price change. */
export const customerSubscriptionUpdated = subscriptionChanged;
