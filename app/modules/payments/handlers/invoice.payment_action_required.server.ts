import { invoiceChanged } from './invoice.server.ts';

/** The bank wants the patron to authenticate a renewal: they get the invoice's link to do it. */
export const invoicePaymentActionRequired = invoiceChanged;
