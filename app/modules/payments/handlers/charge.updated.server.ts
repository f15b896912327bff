import { chargeChanged } from './charge.server.ts';

/** The usual carrier of a late balance transaction (Stripe's fee). */
export const chargeUpdated = chargeChanged;
