/**
 * Subscriptions: create (with the first invoice and its payment), update (price / quantity
 * changes with per-second prorations: create_prorations, always_invoice, none;
 * cancel_at_period_end; metadata; default payment method), cancel, list, subscription items,
 * renewals at period end, incomplete expiry after 23 hours, and dunning outcomes.
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { cardError, invalidRequest, noSuch } from './errors.ts';
import { emit, update, diff } from './events.ts';
import { embeddedList, listResponse, mustGet, render, type ApiRequest, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, newMetadata, validate, type Spec } from './params.ts';
import { createPrice, mustPrice, planFromPrice, PRICE_DATA, type PriceInput } from './products.ts';
import { registerTasks } from './scheduler.ts';
import { createInvoice, finalizeAndPay, finalizeInvoice, invoiceHooks, stopCollection, subscriptionOfInvoice, voidInvoice, type LineDraft } from './invoices.ts';
import { declineFor } from './cards.ts';
import { needsAuthentication } from './payment-intents.ts';
import { customerHooks, deleteCustomer } from './customers.ts';
import { clockHooks } from './test-clocks.ts';
import { nextBoundary, prorate, shift, type Interval } from './periods.ts';
import { formatDate, formatMoney } from './pages/layout.ts';
import { searchResponse } from './search.ts';
import type { InvoiceObj, SubscriptionItemObj, SubscriptionObj } from './types.ts';

const INCOMPLETE_EXPIRY = 23 * 3600;
const RENEWAL_FINALIZE_DELAY = 3600;

type Anyish = Record<string, unknown>;

function cancellationDetails(
  reason: Stripe.Subscription.CancellationDetails.Reason | null,
  comment: string | null = null,
  feedback: string | null = null,
): Stripe.Subscription.CancellationDetails {
  return { comment, feedback: feedback as Stripe.Subscription.CancellationDetails.Feedback | null, feedback_option: null, reason } as Stripe.Subscription.CancellationDetails;
}

/** Pending prorations (create_prorations) waiting for the next invoice, per subscription. */
function pendingLines(engine: Engine): Record<string, LineDraft[]> {
  const internal = engine.store.internal as unknown as Anyish;
  internal['pendingProrations'] ??= {};
  return internal['pendingProrations'] as Record<string, LineDraft[]>;
}

function priceOf(item: SubscriptionItemObj): Stripe.Price {
  return item.price;
}

function intervalOf(price: Stripe.Price): { interval: Interval; count: number } {
  return { interval: (price.recurring?.interval ?? 'month') as Interval, count: price.recurring?.interval_count ?? 1 };
}

function productName(engine: Engine, price: Stripe.Price): string {
  const product = engine.store.get('product', price.product as string);
  return product?.name ?? price.nickname ?? 'Subscription';
}

function cycleDescription(engine: Engine, price: Stripe.Price, quantity: number): string {
  const { interval, count } = intervalOf(price);
  const per = count > 1 ? `every ${count} ${interval}s` : interval;
  return `${quantity} × ${productName(engine, price)} (at ${formatMoney(price.unit_amount ?? 0, price.currency)} / ${per})`;
}

function itemLine(engine: Engine, sub: SubscriptionObj, item: SubscriptionItemObj, period: { start: number; end: number }, amount?: number): LineDraft {
  const price = priceOf(item);
  const quantity = item.quantity ?? 1;
  return {
    amount: amount ?? (price.unit_amount ?? 0) * quantity,
    currency: price.currency,
    description: cycleDescription(engine, price, quantity),
    period,
    quantity,
    price,
    subscription: sub.id,
    subscriptionItem: item.id,
    proration: false,
  };
}

function prorationLine(engine: Engine, sub: SubscriptionObj, itemId: string, price: Stripe.Price, quantity: number, period: { start: number; end: number }, from: number, credit: boolean): LineDraft {
  const full = (price.unit_amount ?? 0) * quantity;
  const amount = prorate(credit ? -full : full, period.start, period.end, from);
  const when = formatDate(from);
  return {
    amount,
    currency: price.currency,
    description: credit ? `Unused time on ${quantity} × ${productName(engine, price)} after ${when}` : `Remaining time on ${quantity} × ${productName(engine, price)} after ${when}`,
    period: { start: from, end: period.end },
    quantity,
    price,
    subscription: sub.id,
    subscriptionItem: itemId,
    proration: true,
  };
}

function newItem(engine: Engine, subId: string, price: Stripe.Price, quantity: number, metadata: Record<string, string>, period: { start: number; end: number }, created: number): SubscriptionItemObj {
  return {
    id: newId('si'),
    object: 'subscription_item',
    billing_thresholds: null,
    created,
    current_period_end: period.end,
    current_period_start: period.start,
    discounts: [],
    metadata,
    plan: planFromPrice(price),
    price: structuredClone(price),
    quantity,
    subscription: subId,
    tax_rates: [],
  };
}

export function firstItem(sub: SubscriptionObj): SubscriptionItemObj | undefined {
  return sub.items.data[0];
}

function periodOf(sub: SubscriptionObj): { start: number; end: number } {
  const item = firstItem(sub);
  return { start: item?.current_period_start ?? sub.start_date, end: item?.current_period_end ?? sub.start_date };
}

/** The payment method a subscription's invoices use. */
export function effectivePaymentMethod(engine: Engine, sub: SubscriptionObj): string | null {
  if (sub.default_payment_method) return sub.default_payment_method as string;
  const customer = engine.store.get('customer', sub.customer as string);
  return (customer?.invoice_settings.default_payment_method as string | null) ?? null;
}

/** What a payment with this card will do (cards are deterministic). */
function predictPayment(engine: Engine, pmId: string | null, offSession: boolean, authenticated: boolean): 'succeeded' | 'requires_action' | 'failed' | 'none' {
  if (!pmId) return 'none';
  if (needsAuthentication(engine, pmId, offSession, authenticated)) return 'requires_action';
  const card = engine.store.internal.cards[pmId];
  if (card && declineFor(card.scenario)) return 'failed';
  return 'succeeded';
}

// ---------------------------------------------------------------------------------------------
// Status changes driven by invoices

function setStatus(engine: Engine, sub: SubscriptionObj, status: Stripe.Subscription.Status): void {
  if (sub.status === status) return;
  update(engine, 'subscription', sub.id, (s) => {
    s.status = status;
  }, 'customer.subscription.updated');
}

export function cancelSubscription(engine: Engine, sub: SubscriptionObj, opts: { at?: number; reason: Stripe.Subscription.CancellationDetails.Reason }): void {
  const now = opts.at ?? engine.nowOf(sub.id);
  sub.status = 'canceled';
  sub.ended_at = now;
  sub.canceled_at ??= now;
  sub.cancellation_details = cancellationDetails(sub.cancellation_details?.reason ?? opts.reason, sub.cancellation_details?.comment ?? null, sub.cancellation_details?.feedback ?? null);
  for (const invoice of engine.store.allBy('invoice', 'customer', sub.customer as string)) {
    if (subscriptionOfInvoice(invoice) === sub.id) stopCollection(engine, invoice);
  }
  delete pendingLines(engine)[sub.id];
  emit(engine, 'customer.subscription.deleted', sub);
}

invoiceHooks.paid = (engine, invoice, paymentMethod) => {
  const subId = subscriptionOfInvoice(invoice);
  const sub = subId ? engine.store.get('subscription', subId) : undefined;
  if (!sub) return;
  const save = sub.payment_settings?.save_default_payment_method === 'on_subscription';
  const open = engine.store.allBy('invoice', 'customer', sub.customer as string).some((i) => i.id !== invoice.id && i.status === 'open' && subscriptionOfInvoice(i) === sub.id);
  const reactivate = (sub.status === 'incomplete' || sub.status === 'past_due' || sub.status === 'unpaid') && !open;
  if (!reactivate && !(save && paymentMethod && !sub.default_payment_method)) return;
  update(engine, 'subscription', sub.id, (s) => {
    if (reactivate) s.status = 'active';
    if (save && paymentMethod && !s.default_payment_method) s.default_payment_method = paymentMethod;
  }, 'customer.subscription.updated');
};

invoiceHooks.failed = (engine, invoice, final) => {
  const subId = subscriptionOfInvoice(invoice);
  const sub = subId ? engine.store.get('subscription', subId) : undefined;
  if (!sub || sub.status === 'canceled' || sub.status === 'incomplete_expired') return;
  if (invoice.billing_reason === 'subscription_create') return; // stays incomplete
  if (sub.status === 'active' || sub.status === 'trialing') setStatus(engine, sub, 'past_due');
  if (final) {
    const action = engine.switches.afterFinalRetry;
    if (action === 'cancel') cancelSubscription(engine, sub, { reason: 'payment_failed' });
    else if (action === 'unpaid') setStatus(engine, sub, 'unpaid');
  }
};

// ---------------------------------------------------------------------------------------------
// Create

type ItemParam = {
  id?: string;
  price?: string;
  price_data?: PriceInput & { product: string };
  quantity?: number;
  metadata?: Record<string, string> | '';
  deleted?: boolean;
};

const ITEM_SPEC: Spec = S.obj({
  id: S.str(),
  price: S.str(),
  price_data: S.obj({
    currency: S.req(S.str()),
    product: S.req(S.str()),
    recurring: S.req(S.obj({ interval: S.req(S.oneOf('day', 'week', 'month', 'year')), interval_count: S.int({ min: 1 }) })),
    unit_amount: S.int({ min: 0 }),
    unit_amount_decimal: S.str(),
    tax_behavior: S.oneOf('exclusive', 'inclusive', 'unspecified'),
  }),
  quantity: S.int({ min: 0 }),
  metadata: S.meta(),
  deleted: S.bool(),
  clear_usage: S.bool(),
  discounts: S.any(),
  tax_rates: S.any(),
  billing_thresholds: S.any(),
  plan: S.str(),
});

function priceForItem(req: ApiRequest, item: ItemParam, index: number): Stripe.Price {
  if (item.price) return mustPrice(req, item.price, `items[${index}][price]`);
  if (item.price_data) return createPrice(req, item.price_data, `items[${index}][price_data]`, true);
  throw invalidRequest(`Missing required param: items[${index}][price].`, `items[${index}][price]`, 'parameter_missing');
}

function assertRecurring(price: Stripe.Price, param: string): void {
  if (price.type !== 'recurring' || !price.recurring) {
    throw invalidRequest(`The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`, param);
  }
}

export type CreateSubscriptionInput = {
  customer: Stripe.Customer;
  items: { price: Stripe.Price; quantity: number; metadata: Record<string, string> }[];
  metadata: Record<string, string>;
  defaultPaymentMethod: string | null;
  paymentBehavior: 'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete' | 'pending_if_incomplete';
  description: string | null;
  trialEnd: number | null;
  billingCycleAnchor: number | null;
  prorationBehavior: 'create_prorations' | 'none' | 'always_invoice';
  saveDefaultPaymentMethod: 'on_subscription' | 'off' | null;
  cancelAtPeriodEnd: boolean;
  /** The customer authenticated the card in this flow (Checkout). */
  authenticated: boolean;
  offSession: boolean;
  applicationFeePercent: number | null;
  transferData: Stripe.Subscription.TransferData | null;
};

export function createSubscription(engine: Engine, input: CreateSubscriptionInput): SubscriptionObj {
  const customer = input.customer;
  const clock = (customer.test_clock as string | null) ?? null;
  const account = engine.store.accountOf(customer.id);
  const now = engine.now(clock);
  const first = input.items[0];
  if (!first) throw invalidRequest('Missing required param: items.', 'items', 'parameter_missing');
  const { interval, count } = intervalOf(first.price);
  const trialing = input.trialEnd !== null && input.trialEnd > now;
  const anchor = trialing ? (input.trialEnd as number) : (input.billingCycleAnchor ?? now);
  const periodEnd = nextBoundary(anchor, interval, count, now);
  const period = { start: now, end: periodEnd };
  const subId = newId('sub');
  const invoiceId = newId('in');
  const pm = input.defaultPaymentMethod ?? (customer.invoice_settings.default_payment_method as string | null);
  const items = input.items.map((i) => newItem(engine, subId, i.price, i.quantity, i.metadata, period, now));

  // First invoice lines: a trial costs nothing; an anchor in the future prorates the first period.
  const lines: LineDraft[] = [];
  const sub: SubscriptionObj = {
    id: subId,
    object: 'subscription',
    application: null,
    application_fee_percent: input.applicationFeePercent,
    automatic_tax: { enabled: false, liability: null, disabled_reason: null },
    billing_cycle_anchor: anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { type: 'flexible', flexible: { proration_discounts: 'included' }, updated_at: now } as Stripe.Subscription.BillingMode,
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: input.cancelAtPeriodEnd ? periodEnd : null,
    cancel_at_period_end: input.cancelAtPeriodEnd,
    canceled_at: input.cancelAtPeriodEnd ? now : null,
    cancellation_details: cancellationDetails(input.cancelAtPeriodEnd ? 'cancellation_requested' : null),
    collection_method: 'charge_automatically',
    created: now,
    currency: first.price.currency,
    customer: customer.id,
    customer_account: null,
    days_until_due: null,
    default_payment_method: input.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: input.description,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: embeddedList(items, `/v1/subscription_items?subscription=${subId}`),
    latest_invoice: invoiceId,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: input.saveDefaultPaymentMethod ?? 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: 'incomplete',
    test_clock: clock,
    transfer_data: input.transferData,
    trial_end: trialing ? (input.trialEnd as number) : null,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: trialing ? now : null,
  } as unknown as SubscriptionObj;

  for (const item of items) {
    if (trialing) {
      const line = itemLine(engine, sub, item, period, 0);
      line.description = `Trial period for ${productName(engine, item.price)}`;
      lines.push(line);
    } else if (input.billingCycleAnchor !== null && input.billingCycleAnchor > now) {
      const fullStart = shift(anchor, interval, count, -1);
      const amount = input.prorationBehavior === 'none' ? 0 : prorate((item.price.unit_amount ?? 0) * (item.quantity ?? 1), fullStart, anchor, now);
      lines.push({ ...itemLine(engine, sub, item, period, amount), proration: input.prorationBehavior !== 'none' });
    } else {
      lines.push(itemLine(engine, sub, item, period));
    }
  }
  const total = lines.reduce((s, l) => s + l.amount, 0) + Math.min(0, customer.balance);
  const outcome = total <= 0 ? 'succeeded' : input.paymentBehavior === 'default_incomplete' ? 'none' : predictPayment(engine, pm, input.offSession, input.authenticated);
  sub.status = trialing ? 'trialing' : outcome === 'succeeded' ? 'active' : 'incomplete';

  engine.store.insert('subscription', sub, { account, clock });
  emit(engine, 'customer.subscription.created', sub);
  const invoice = createInvoice(engine, {
    id: invoiceId,
    customer,
    subscription: sub,
    billingReason: 'subscription_create',
    lines,
    periodStart: now,
    periodEnd: now,
    currency: sub.currency,
    autoFinalizeAt: null,
  });
  if (input.paymentBehavior === 'default_incomplete') {
    // finalized, its PaymentIntent waiting for the customer (confirm it with Stripe.js / the API)
    finalizeInvoice(engine, invoice);
  } else {
    const pmObj = pm ? engine.store.get('payment_method', pm) : undefined;
    finalizeAndPay(engine, invoice, { paymentMethod: pmObj, offSession: input.offSession, authenticated: input.authenticated });
  }
  return sub;
}


// ---------------------------------------------------------------------------------------------
// Renewals and expiry

function renew(engine: Engine, sub: SubscriptionObj): void {
  const customer = engine.store.get('customer', sub.customer as string);
  if (!customer) return;
  const old = periodOf(sub);
  const first = firstItem(sub);
  if (!first) return;
  const { interval, count } = intervalOf(first.price);
  const next = { start: old.end, end: nextBoundary(sub.billing_cycle_anchor, interval, count, old.end) };
  const before = structuredClone(sub) as unknown as Anyish;
  for (const item of sub.items.data) {
    item.current_period_start = next.start;
    item.current_period_end = next.end;
  }
  const wasTrial = sub.status === 'trialing';
  if (wasTrial) sub.status = 'active';
  const lines = [...(pendingLines(engine)[sub.id] ?? []), ...sub.items.data.map((item) => itemLine(engine, sub, item, next))];
  delete pendingLines(engine)[sub.id];
  const invoice = createInvoice(engine, {
    customer,
    subscription: sub,
    billingReason: 'subscription_cycle',
    lines,
    periodStart: old.start,
    periodEnd: old.end,
    currency: sub.currency,
    // Unpaid subscriptions keep creating invoices, left as drafts.
    autoFinalizeAt: sub.status === 'unpaid' ? null : old.end + RENEWAL_FINALIZE_DELAY,
  });
  if (sub.status === 'unpaid') invoice.auto_advance = false;
  sub.latest_invoice = invoice.id;
  emit(engine, 'customer.subscription.updated', sub, { previous: diff(before, sub as unknown as Anyish) });
}

function expireIncomplete(engine: Engine, sub: SubscriptionObj): void {
  sub.status = 'incomplete_expired';
  sub.ended_at = engine.nowOf(sub.id);
  for (const invoice of engine.store.allBy('invoice', 'customer', sub.customer as string)) {
    if (subscriptionOfInvoice(invoice) === sub.id && invoice.status === 'open') voidInvoice(engine, invoice);
  }
  emit(engine, 'customer.subscription.deleted', sub);
}

registerTasks('subscription', (engine, sub) => {
  if (sub.status === 'incomplete') return [{ at: sub.created + INCOMPLETE_EXPIRY, label: `expire:${sub.id}`, run: () => expireIncomplete(engine, sub) }];
  if (!['active', 'past_due', 'trialing', 'unpaid'].includes(sub.status)) return [];
  const { end } = periodOf(sub);
  if (sub.cancel_at && sub.cancel_at <= end) {
    const at = sub.cancel_at;
    return [{ at, label: `cancel:${sub.id}:${at}`, run: () => cancelSubscription(engine, sub, { at, reason: 'cancellation_requested' }) }];
  }
  return [{ at: end, label: `renew:${sub.id}:${end}`, run: () => renew(engine, sub) }];
});

customerHooks.onDelete = (engine, customerId) => {
  for (const sub of engine.store.all('subscription')) {
    if (sub.customer === customerId && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') {
      cancelSubscription(engine, sub, { reason: 'cancellation_requested' });
    }
  }
};

clockHooks.onDelete = (engine, clockId) => {
  for (const customer of engine.store.all('customer')) {
    if (customer.test_clock === clockId) deleteCustomer(engine, customer);
  }
};

// ---------------------------------------------------------------------------------------------
// Update

export type ChangeInput = {
  items?: { id?: string; price?: Stripe.Price; quantity?: number; metadata?: Record<string, string> | ''; deleted?: boolean }[];
  prorationBehavior: 'create_prorations' | 'none' | 'always_invoice';
  prorationDate?: number;
  cancelAtPeriodEnd?: boolean;
  cancelAt?: number | '' ;
  metadata?: Record<string, string> | '';
  defaultPaymentMethod?: string | '';
  description?: string;
  billingCycleAnchorNow?: boolean;
  cancellationDetails?: { comment?: string; feedback?: string };
  offSession: boolean;
};

/** Applies a change; emits one customer.subscription.updated (plus invoice events). */
export function changeSubscription(engine: Engine, sub: SubscriptionObj, input: ChangeInput): void {
  const before = structuredClone(sub) as unknown as Anyish;
  const now = input.prorationDate ?? engine.nowOf(sub.id);
  const period = periodOf(sub);
  const prorationLines: LineDraft[] = [];
  let resetCycle = Boolean(input.billingCycleAnchorNow);

  if (input.items) {
    for (const change of input.items) {
      const existing = change.id ? sub.items.data.find((i) => i.id === change.id) : undefined;
      if (change.id && !existing) throw noSuch('subscription item', change.id, 'items');
      if (existing && change.deleted) {
        if (input.prorationBehavior !== 'none') {
          prorationLines.push(prorationLine(engine, sub, existing.id, existing.price, existing.quantity ?? 1, period, now, true));
        }
        sub.items.data = sub.items.data.filter((i) => i.id !== existing.id);
        continue;
      }
      if (existing) {
        const newPrice = change.price ?? existing.price;
        const newQty = change.quantity ?? existing.quantity ?? 1;
        const priceChanged = newPrice.id !== existing.price.id;
        const qtyChanged = newQty !== (existing.quantity ?? 1);
        if (priceChanged) {
          const a = intervalOf(existing.price);
          const b = intervalOf(newPrice);
          if (a.interval !== b.interval || a.count !== b.count) resetCycle = true;
        }
        if ((priceChanged || qtyChanged) && input.prorationBehavior !== 'none') {
          prorationLines.push(prorationLine(engine, sub, existing.id, existing.price, existing.quantity ?? 1, period, now, true));
          if (!resetCycle) prorationLines.push(prorationLine(engine, sub, existing.id, newPrice, newQty, period, now, false));
        }
        existing.price = structuredClone(newPrice);
        existing.plan = planFromPrice(newPrice);
        existing.quantity = newQty;
        if (change.metadata !== undefined) existing.metadata = mergeMetadata(existing.metadata, change.metadata);
      } else {
        if (!change.price) throw invalidRequest('Missing required param: items[0][price].', 'items[0][price]', 'parameter_missing');
        const item = newItem(engine, sub.id, change.price, change.quantity ?? 1, newMetadata(change.metadata), period, now);
        sub.items.data.push(item);
        if (input.prorationBehavior !== 'none') prorationLines.push(prorationLine(engine, sub, item.id, change.price, item.quantity ?? 1, period, now, false));
      }
    }
    if (sub.items.data.length === 0) throw invalidRequest('A subscription must have at least one active plan.', 'items');
  }

  if (input.cancelAtPeriodEnd !== undefined) {
    sub.cancel_at_period_end = input.cancelAtPeriodEnd;
    sub.cancel_at = input.cancelAtPeriodEnd ? period.end : null;
    sub.canceled_at = input.cancelAtPeriodEnd ? engine.nowOf(sub.id) : null;
    sub.cancellation_details = input.cancelAtPeriodEnd
      ? cancellationDetails('cancellation_requested', sub.cancellation_details?.comment ?? null, sub.cancellation_details?.feedback ?? null)
      : cancellationDetails(null);
  }
  if (input.cancelAt !== undefined) {
    sub.cancel_at = input.cancelAt === '' ? null : input.cancelAt;
    sub.cancel_at_period_end = sub.cancel_at !== null && sub.cancel_at === period.end;
    sub.canceled_at = sub.cancel_at === null ? null : engine.nowOf(sub.id);
    sub.cancellation_details = cancellationDetails(sub.cancel_at === null ? null : 'cancellation_requested');
  }
  if (input.cancellationDetails) {
    sub.cancellation_details = cancellationDetails(
      sub.cancellation_details?.reason ?? null,
      input.cancellationDetails.comment ?? sub.cancellation_details?.comment ?? null,
      input.cancellationDetails.feedback ?? sub.cancellation_details?.feedback ?? null,
    );
  }
  if (input.metadata !== undefined) sub.metadata = mergeMetadata(sub.metadata, input.metadata);
  if (input.defaultPaymentMethod !== undefined) sub.default_payment_method = input.defaultPaymentMethod || null;
  if (input.description !== undefined) sub.description = input.description || null;

  let invoiceLines: LineDraft[] | null = null;
  let invoicePeriod = { start: now, end: now };
  if (resetCycle) {
    const first = firstItem(sub);
    if (first) {
      const { interval, count } = intervalOf(first.price);
      const next = { start: now, end: nextBoundary(now, interval, count, now) };
      sub.billing_cycle_anchor = now;
      for (const item of sub.items.data) {
        item.current_period_start = next.start;
        item.current_period_end = next.end;
      }
      if (sub.cancel_at_period_end) sub.cancel_at = next.end;
      invoiceLines = [...(pendingLines(engine)[sub.id] ?? []), ...prorationLines, ...sub.items.data.map((item) => itemLine(engine, sub, item, next))];
      delete pendingLines(engine)[sub.id];
      invoicePeriod = { start: now, end: now };
    }
  } else if (prorationLines.length > 0) {
    if (input.prorationBehavior === 'always_invoice') {
      invoiceLines = [...(pendingLines(engine)[sub.id] ?? []), ...prorationLines];
      delete pendingLines(engine)[sub.id];
    } else {
      pendingLines(engine)[sub.id] = [...(pendingLines(engine)[sub.id] ?? []), ...prorationLines];
    }
  }

  let invoiceId: string | null = null;
  if (invoiceLines) {
    invoiceId = newId('in');
    sub.latest_invoice = invoiceId;
  }
  const previous = diff(before, sub as unknown as Anyish);
  if (Object.keys(previous).length > 0) emit(engine, 'customer.subscription.updated', sub, { previous });
  if (invoiceLines && invoiceId) {
    const customer = engine.store.get('customer', sub.customer as string);
    if (!customer) return;
    const invoice = createInvoice(engine, {
      id: invoiceId,
      customer,
      subscription: sub,
      billingReason: 'subscription_update',
      lines: invoiceLines,
      periodStart: invoicePeriod.start,
      periodEnd: invoicePeriod.end,
      currency: sub.currency,
      autoFinalizeAt: null,
    });
    finalizeAndPay(engine, invoice, { offSession: input.offSession });
  }
  engine.changed();
}

// ---------------------------------------------------------------------------------------------
// API

const CREATE_FIELDS: Record<string, Spec> = {
  customer: S.str(),
  items: S.arr(ITEM_SPEC),
  default_payment_method: S.str(),
  metadata: S.meta(),
  payment_behavior: S.oneOf('allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'),
  proration_behavior: S.oneOf('always_invoice', 'create_prorations', 'none'),
  billing_cycle_anchor: S.ts(),
  billing_cycle_anchor_config: S.any(),
  cancel_at_period_end: S.bool(),
  cancel_at: S.ts(),
  collection_method: S.oneOf('charge_automatically', 'send_invoice'),
  days_until_due: S.int(),
  description: S.str(),
  off_session: S.bool(),
  trial_end: S.ts({ now: true }),
  trial_period_days: S.int({ min: 0 }),
  trial_from_plan: S.bool(),
  trial_settings: S.any(),
  payment_settings: S.obj({ save_default_payment_method: S.oneOf('off', 'on_subscription'), payment_method_types: S.any(), payment_method_options: S.any() }),
  expand: S.arr(S.str()),
  currency: S.str(),
  application_fee_percent: S.any(),
  transfer_data: S.obj({ destination: S.req(S.str()), amount_percent: S.any() }),
  automatic_tax: S.any(),
  default_tax_rates: S.any(),
  discounts: S.any(),
  add_invoice_items: S.any(),
  billing_mode: S.any(),
  on_behalf_of: S.str(),
  pending_invoice_item_interval: S.any(),
  backdate_start_date: S.ts(),
  invoice_settings: S.any(),
};

type CreateParams = {
  customer?: string;
  items?: ItemParam[];
  default_payment_method?: string;
  metadata?: Record<string, string>;
  payment_behavior?: CreateSubscriptionInput['paymentBehavior'];
  proration_behavior?: CreateSubscriptionInput['prorationBehavior'];
  billing_cycle_anchor?: number;
  cancel_at_period_end?: boolean;
  description?: string;
  off_session?: boolean;
  trial_end?: number | 'now';
  trial_period_days?: number;
  payment_settings?: { save_default_payment_method?: 'off' | 'on_subscription' };
  application_fee_percent?: string;
  transfer_data?: { destination: string };
  expand?: string[];
};

function mustSubscription(req: ApiRequest): SubscriptionObj {
  return mustGet(req, 'subscription', req.params['id'], 'id');
}

function requirePaymentMethodOwned(engine: Engine, customer: Stripe.Customer, pmId: string, param: string): void {
  const pm = engine.store.get('payment_method', pmId);
  if (!pm) throw noSuch('PaymentMethod', pmId, param);
  if (pm.customer !== customer.id) {
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
      param,
      'resource_missing',
    );
  }
}

function createFromApi(req: ApiRequest): unknown {
  const p = validate<CreateParams>(req.body, CREATE_FIELDS);
  const { engine } = req;
  if (!p.customer) throw invalidRequest('Missing required param: customer.', 'customer', 'parameter_missing');
  const customer = engine.store.scoped('customer', p.customer, req.account);
  if (!customer) throw noSuch('customer', p.customer, 'customer');
  if (!p.items || p.items.length === 0) throw invalidRequest('Missing required param: items.', 'items', 'parameter_missing');
  const items = p.items.map((item, i) => {
    const price = priceForItem(req, item, i);
    assertRecurring(price, `items[${i}][price]`);
    return { price, quantity: item.quantity ?? 1, metadata: newMetadata(item.metadata) };
  });
  const currency = items[0]!.price.currency;
  if (items.some((i) => i.price.currency !== currency)) throw invalidRequest('All prices on a subscription must have the same currency.', 'items');
  if (p.default_payment_method) requirePaymentMethodOwned(engine, customer, p.default_payment_method, 'default_payment_method');
  const behavior = p.payment_behavior ?? 'allow_incomplete';
  const now = engine.now((customer.test_clock as string | null) ?? null);
  const trialEnd = p.trial_end === 'now' ? null : (p.trial_end ?? (p.trial_period_days ? now + p.trial_period_days * 86400 : null));
  const pm = p.default_payment_method ?? (customer.invoice_settings.default_payment_method as string | null);
  const amount = items.reduce((s, i) => s + (i.price.unit_amount ?? 0) * i.quantity, 0);
  if (!pm && behavior !== 'default_incomplete' && amount > 0 && !trialEnd) {
    throw invalidRequest(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
      undefined,
      'resource_missing',
    );
  }
  if (behavior === 'error_if_incomplete' && amount > 0 && !trialEnd) {
    const outcome = predictPayment(engine, pm, Boolean(p.off_session), false);
    const card = pm ? engine.store.internal.cards[pm] : undefined;
    if (outcome === 'failed' && card) {
      const d = declineFor(card.scenario);
      throw cardError({ code: d?.code ?? 'card_declined', decline_code: d?.decline_code, message: d?.message ?? 'Your card was declined.' });
    }
    if (outcome === 'requires_action') {
      throw cardError({ code: 'subscription_payment_intent_requires_action', message: 'Payment for this subscription requires additional user action before it can be completed successfully.' });
    }
  }
  const sub = createSubscription(engine, {
    customer,
    items,
    metadata: newMetadata(p.metadata),
    defaultPaymentMethod: p.default_payment_method ?? null,
    paymentBehavior: behavior,
    description: p.description ?? null,
    trialEnd,
    billingCycleAnchor: p.billing_cycle_anchor ?? null,
    prorationBehavior: p.proration_behavior ?? 'create_prorations',
    saveDefaultPaymentMethod: p.payment_settings?.save_default_payment_method ?? null,
    cancelAtPeriodEnd: p.cancel_at_period_end ?? false,
    authenticated: false,
    offSession: Boolean(p.off_session),
    applicationFeePercent: p.application_fee_percent !== undefined ? Number(p.application_fee_percent) : null,
    transferData: p.transfer_data ? { amount_percent: null, destination: p.transfer_data.destination } : null,
  });
  return render(engine, sub, p.expand);
}

type UpdateParams = {
  items?: ItemParam[];
  proration_behavior?: ChangeInput['prorationBehavior'];
  proration_date?: number;
  cancel_at_period_end?: boolean;
  cancel_at?: number | '';
  metadata?: Record<string, string> | '';
  default_payment_method?: string;
  description?: string;
  billing_cycle_anchor?: 'now' | 'unchanged';
  cancellation_details?: { comment?: string; feedback?: string };
  off_session?: boolean;
  payment_behavior?: string;
  expand?: string[];
};

function updateFromApi(req: ApiRequest, sub: SubscriptionObj, p: UpdateParams): void {
  const { engine } = req;
  const onlyDetails = Object.keys(p).every((k) => k === 'cancellation_details' || k === 'expand');
  if ((sub.status === 'canceled' || sub.status === 'incomplete_expired') && !onlyDetails) {
    throw invalidRequest(`A canceled subscription can only update its cancellation_details.`, undefined, 'subscription_canceled' as string);
  }
  const customer = engine.store.get('customer', sub.customer as string);
  if (p.default_payment_method && customer) requirePaymentMethodOwned(engine, customer, p.default_payment_method, 'default_payment_method');
  const items = p.items?.map((item, i) => {
    let price: Stripe.Price | undefined;
    if (item.price || item.price_data) {
      price = priceForItem(req, item, i);
      assertRecurring(price, `items[${i}][price]`);
    }
    return { id: item.id, price, quantity: item.quantity, metadata: item.metadata, deleted: item.deleted };
  });
  changeSubscription(engine, sub, {
    items,
    prorationBehavior: p.proration_behavior ?? 'create_prorations',
    prorationDate: p.proration_date,
    cancelAtPeriodEnd: p.cancel_at_period_end,
    cancelAt: p.cancel_at,
    metadata: p.metadata,
    defaultPaymentMethod: p.default_payment_method,
    description: p.description,
    billingCycleAnchorNow: p.billing_cycle_anchor === 'now',
    cancellationDetails: p.cancellation_details,
    offSession: p.off_session ?? true,
  });
}

const UPDATE_FIELDS: Record<string, Spec> = {
  items: S.arr(ITEM_SPEC),
  proration_behavior: S.oneOf('always_invoice', 'create_prorations', 'none'),
  proration_date: S.ts(),
  cancel_at_period_end: S.bool(),
  cancel_at: { t: 'any' },
  metadata: S.meta(),
  default_payment_method: S.str(),
  description: S.str(),
  billing_cycle_anchor: S.oneOf('now', 'unchanged'),
  cancellation_details: S.obj({ comment: S.str(), feedback: S.str() }),
  off_session: S.bool(),
  payment_behavior: S.oneOf('allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'),
  payment_settings: S.any(),
  collection_method: S.oneOf('charge_automatically', 'send_invoice'),
  trial_end: S.any(),
  pause_collection: S.any(),
  default_tax_rates: S.any(),
  discounts: S.any(),
  add_invoice_items: S.any(),
  application_fee_percent: S.any(),
  transfer_data: S.any(),
  automatic_tax: S.any(),
  invoice_settings: S.any(),
};

function parseCancelAt(v: unknown): number | '' | undefined {
  if (v === undefined) return undefined;
  if (v === '') return '';
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  throw invalidRequest('Invalid timestamp: must be an integer Unix timestamp.', 'cancel_at');
}

export const routes: Route[] = [
  { method: 'POST', path: '/v1/subscriptions', handler: createFromApi },
  { method: 'GET', path: '/v1/subscriptions/search', handler: (req) => searchResponse(req, 'subscription', '/v1/subscriptions/search') },
  {
    method: 'GET',
    path: '/v1/subscriptions/:id',
    handler: (req) => render(req.engine, mustSubscription(req), validate(req.body, {}).expand),
  },
  {
    method: 'POST',
    path: '/v1/subscriptions/:id',
    handler: (req) => {
      const sub = mustSubscription(req);
      const raw = validate<UpdateParams>(req.body, UPDATE_FIELDS);
      const p = { ...raw, cancel_at: parseCancelAt(raw.cancel_at) };
      if (p.cancel_at === undefined) delete p.cancel_at;
      updateFromApi(req, sub, p);
      return render(req.engine, sub, p.expand);
    },
  },
  {
    method: 'DELETE',
    path: '/v1/subscriptions/:id',
    handler: (req) => {
      const sub = mustSubscription(req);
      const p = validate<{ cancellation_details?: { comment?: string; feedback?: string }; invoice_now?: boolean; prorate?: boolean }>(req.body, {
        cancellation_details: S.obj({ comment: S.str(), feedback: S.str() }),
        invoice_now: S.bool(),
        prorate: S.bool(),
      });
      if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
        throw invalidRequest(`No such subscription: '${sub.id}'`, 'id', 'resource_missing', 404);
      }
      if (p.cancellation_details) {
        sub.cancellation_details = cancellationDetails('cancellation_requested', p.cancellation_details.comment ?? null, p.cancellation_details.feedback ?? null);
      }
      sub.canceled_at = req.engine.nowOf(sub.id);
      cancelSubscription(req.engine, sub, { reason: 'cancellation_requested' });
      return render(req.engine, sub, (p as { expand?: string[] }).expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/subscriptions',
    handler: (req) => {
      const p = validate<{ customer?: string; price?: string; status?: string; test_clock?: string } & Record<string, unknown>>(req.body, {
        ...LIST_PARAMS,
        customer: S.str(),
        price: S.str(),
        status: S.oneOf('active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'),
        test_clock: S.str(),
        collection_method: S.str(),
        current_period_end: S.range(),
        current_period_start: S.range(),
        automatic_tax: S.any(),
      });
      const items = req.engine.store.list('subscription', req.account, (s) => {
        if (p.customer !== undefined && s.customer !== p.customer) return false;
        if (p.test_clock !== undefined && s.test_clock !== p.test_clock) return false;
        if (p.price !== undefined && !s.items.data.some((i) => i.price.id === p.price)) return false;
        const status = p.status;
        if (status === undefined) return s.status !== 'canceled';
        if (status === 'all') return true;
        if (status === 'ended') return s.status === 'canceled' || s.status === 'incomplete_expired';
        return s.status === status;
      });
      return listResponse(req.engine, items, p, '/v1/subscriptions', 'subscription');
    },
  },
  {
    method: 'GET',
    path: '/v1/subscription_items',
    handler: (req) => {
      const p = validate<{ subscription: string } & Record<string, unknown>>(req.body, { ...LIST_PARAMS, subscription: S.req(S.str()) });
      const sub = req.engine.store.scoped('subscription', p.subscription, req.account);
      if (!sub) throw noSuch('subscription', p.subscription, 'subscription');
      return listResponse(req.engine, [...sub.items.data].reverse(), p, `/v1/subscription_items`, 'subscription item');
    },
  },
  {
    method: 'GET',
    path: '/v1/subscription_items/:id',
    handler: (req) => {
      const p = validate(req.body, {});
      const id = req.params['id'] ?? '';
      for (const sub of req.engine.store.list('subscription', req.account)) {
        const item = sub.items.data.find((i) => i.id === id);
        if (item) return render(req.engine, item, p.expand);
      }
      throw noSuch('subscription_item', id, 'id');
    },
  },
  {
    method: 'POST',
    path: '/v1/subscription_items/:id',
    handler: (req) => {
      const raw = validate<{ price?: string; quantity?: number; metadata?: Record<string, string> | ''; proration_behavior?: ChangeInput['prorationBehavior']; proration_date?: number; expand?: string[] }>(req.body, {
        price: S.str(),
        price_data: S.any(),
        quantity: S.int({ min: 0 }),
        metadata: S.meta(),
        proration_behavior: S.oneOf('always_invoice', 'create_prorations', 'none'),
        proration_date: S.ts(),
        payment_behavior: S.str(),
        off_session: S.bool(),
        tax_rates: S.any(),
        discounts: S.any(),
        billing_thresholds: S.any(),
      });
      const id = req.params['id'] ?? '';
      const sub = req.engine.store.list('subscription', req.account).find((s) => s.items.data.some((i) => i.id === id));
      if (!sub) throw noSuch('subscription_item', id, 'id');
      updateFromApi(req, sub, {
        items: [{ id, price: raw.price, quantity: raw.quantity, metadata: raw.metadata }],
        proration_behavior: raw.proration_behavior,
        proration_date: raw.proration_date,
      });
      return render(req.engine, sub.items.data.find((i) => i.id === id), raw.expand);
    },
  },
];
