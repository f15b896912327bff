import { subscriptionChanged } from './subscription.server.ts';

export const customerSubscriptionCreated = subscriptionChanged;
