import { chargeChanged } from './charge.server.ts';

export const chargeSucceeded = chargeChanged;
