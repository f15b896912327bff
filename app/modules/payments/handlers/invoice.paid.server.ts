import { invoiceChanged } from './invoice.server.ts';

/** A period is paid: pledge_invoices row, pledge active, ledger posted, receipt once the fee is known. */
export const invoicePaid = invoiceChanged;
