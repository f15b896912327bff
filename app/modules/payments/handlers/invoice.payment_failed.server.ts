import { invoiceChanged } from './invoice.server.ts';

/** A renewal failed: the patron hears once per attempt (with the next retry date); benefits continue while past due. */
export const invoicePaymentFailed = invoiceChanged;
