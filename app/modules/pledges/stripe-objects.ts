import type Stripe from 'stripe';

/**
 * Reading our ids and periods out of Stripe objects (API version 2026-10-28.endive). Pure, so
 * it is unit-tested against Stripe's own example events.
 */

export type PledgeRef = { pledgeId: string; projectId: string | null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string | null | undefined): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Our ids in a Stripe object's metadata, or null: objects without them are not ours. */
export function pledgeRef(metadata: Stripe.Metadata | null | undefined): PledgeRef | null {
  const pledgeId = metadata?.pledge_id;
  if (!isUuid(pledgeId)) return null;
  const projectId = metadata?.project_id;
  return { pledgeId: pledgeId.toLowerCase(), projectId: isUuid(projectId) ? projectId.toLowerCase() : null };
}

/**
 * The pledge of a subscription invoice. Invoices no longer carry `subscription`: the parent's
 * subscription_details hold the subscription and a snapshot of its metadata.
 */
export function invoicePledgeRef(invoice: Pick<Stripe.Invoice, 'parent'>): PledgeRef | null {
  return pledgeRef(invoice.parent?.subscription_details?.metadata);
}

/**
 * The period an invoice pays for: its regular subscription line. A renewal invoice's own
 * period_start/end name the *previous* period; an invoice of only prorations (a tier change)
 * spans its proration lines.
 */
export function servicePeriod(invoice: Pick<Stripe.Invoice, 'lines'>): { start: Date; end: Date } | null {
  const lines = invoice.lines.data;
  const regular = lines.filter((line) => line.parent?.subscription_item_details?.proration !== true);
  const chosen = regular.length > 0 ? regular.slice(0, 1) : lines;
  if (chosen.length === 0) return null;
  const start = Math.min(...chosen.map((line) => line.period.start));
  const end = Math.max(...chosen.map((line) => line.period.end));
  return { start: new Date(start * 1000), end: new Date(end * 1000) };
}
