/**
 * Invoices of subscriptions: draft → open (finalized, with a PaymentIntent and an
 * invoice_payment) → paid / uncollectible / void. Payment attempts, Smart-Retries-like dunning
 * (`invoiceRetryDays` switch, default 3, 5, 7 days after the previous attempt), manual
 * `invoices.pay`, invoice payments and the hosted invoice page.
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { cardError, invalidRequest } from './errors.ts';
import { emit, update } from './events.ts';
import { embeddedList, listResponse, mustGet, registerIncludable, render, type ApiRequest, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, validate } from './params.ts';
import { asDecimal } from './products.ts';
import { registerTasks } from './scheduler.ts';
import { confirmPaymentIntent, createPaymentIntent, intentHooks, type ConfirmOutcome } from './payment-intents.ts';
import { resolvePaymentMethod } from './payment-methods.ts';
import type { InvoiceObj, PaymentIntentObj, SubscriptionObj } from './types.ts';
import { searchResponse } from './search.ts';

/** A line before it is placed on an invoice. */
export type LineDraft = {
  amount: number;
  currency: string;
  description: string;
  period: { start: number; end: number };
  quantity: number;
  price: Stripe.Price;
  subscription: string | null;
  subscriptionItem: string | null;
  proration: boolean;
  metadata?: Record<string, string>;
};

/** Hooks the subscription module sets (invoices drive subscription status). */
export const invoiceHooks: {
  paid: (engine: Engine, invoice: InvoiceObj, paymentMethod: string | null) => void;
  failed: (engine: Engine, invoice: InvoiceObj, final: boolean) => void;
} = { paid: () => {}, failed: () => {} };

export function subscriptionOfInvoice(invoice: InvoiceObj): string | null {
  const sub = invoice.parent?.subscription_details?.subscription;
  return typeof sub === 'string' ? sub : (sub?.id ?? null);
}

function lineItem(engine: Engine, invoiceId: string, draft: LineDraft): Stripe.InvoiceLineItem {
  return {
    id: newId('il'),
    object: 'line_item',
    amount: draft.amount,
    currency: draft.currency,
    description: draft.description,
    discount_amounts: [],
    discountable: !draft.proration,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: draft.metadata ?? {},
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: draft.proration,
        proration_details: { credited_items: null },
        subscription: draft.subscription,
        subscription_item: draft.subscriptionItem,
      },
    } as Stripe.InvoiceLineItem.Parent,
    period: draft.period,
    pretax_credit_amounts: [],
    pricing: {
      type: 'price_details',
      price_details: { price: draft.price.id, product: draft.price.product as string },
      unit_amount_decimal: asDecimal(String(draft.price.unit_amount ?? 0)),
    } as Stripe.InvoiceLineItem.Pricing,
    quantity: draft.quantity,
    quantity_decimal: asDecimal(String(draft.quantity)),
    subscription: draft.subscription,
    subtotal: draft.amount,
    taxes: [],
  } as Stripe.InvoiceLineItem;
}

export type NewInvoice = {
  id?: string;
  customer: Stripe.Customer;
  subscription: SubscriptionObj | null;
  billingReason: Stripe.Invoice.BillingReason;
  lines: LineDraft[];
  periodStart: number;
  periodEnd: number;
  currency: string;
  /** Renewals: finalized about an hour after creation (Stripe's default). */
  autoFinalizeAt: number | null;
  defaultPaymentMethod?: string | null;
};

/** Creates a draft invoice and emits invoice.created. */
export function createInvoice(engine: Engine, input: NewInvoice): InvoiceObj {
  const clock = (input.customer.test_clock as string | null) ?? null;
  const account = engine.store.accountOf(input.customer.id);
  const now = engine.now(clock);
  const id = input.id ?? newId('in');
  const lines = input.lines.map((l) => lineItem(engine, id, l));
  const total = lines.reduce((sum, l) => sum + l.amount, 0);
  const c = input.customer;
  const sub = input.subscription;
  const invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Makerfund (sandbox)',
    account_tax_ids: null,
    amount_due: Math.max(0, total),
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: Math.max(0, total),
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { enabled: false, liability: null, disabled_reason: null, provider: null, status: null },
    automatically_finalizes_at: input.autoFinalizeAt,
    billing_reason: input.billingReason,
    collection_method: 'charge_automatically',
    created: now,
    currency: input.currency,
    custom_fields: null,
    customer: c.id,
    customer_account: null,
    customer_address: c.address,
    customer_email: c.email,
    customer_name: c.name,
    customer_phone: c.phone,
    customer_shipping: c.shipping,
    customer_tax_exempt: c.tax_exempt ?? 'none',
    customer_tax_ids: [],
    default_payment_method: input.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: embeddedList(lines, `/v1/invoices/${id}/lines`),
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: sub
      ? { type: 'subscription_details', quote_details: null, subscription_details: { metadata: structuredClone(sub.metadata), subscription: sub.id } }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: input.periodEnd,
    period_start: input.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: { amount_tax_display: null, pdf: { page_size: 'letter' }, template: null, template_version: null },
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: clock,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: now,
  } as unknown as InvoiceObj;
  engine.store.insert('invoice', invoice, { account, clock });
  emit(engine, 'invoice.created', invoice);
  return invoice;
}

function invoicePaymentOf(engine: Engine, invoiceId: string): Stripe.InvoicePayment | undefined {
  return engine.store.allBy('invoice_payment', 'invoice', invoiceId).find((p) => p.is_default);
}

export function invoiceOfIntent(engine: Engine, piId: string): InvoiceObj | undefined {
  const payment = engine.store.allBy('invoice_payment', 'payment.payment_intent', piId)[0];
  return payment ? engine.store.get('invoice', payment.invoice as string) : undefined;
}

const DESCRIPTIONS: Partial<Record<string, string>> = {
  subscription_create: 'Subscription creation',
  subscription_update: 'Subscription update',
  subscription_cycle: 'Subscription update',
};

/** draft → open: number, customer balance, PaymentIntent + invoice_payment; invoice.finalized. */
export function finalizeInvoice(engine: Engine, invoice: InvoiceObj): void {
  if (invoice.status !== 'draft') return;
  const customer = engine.store.get('customer', invoice.customer as string);
  const clock = engine.store.clockOf(invoice.id);
  const now = engine.now(clock);
  if (customer) {
    invoice.number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence ?? 1).padStart(4, '0')}`;
    customer.next_invoice_sequence = (customer.next_invoice_sequence ?? 1) + 1;
    // Customer credit balance (negative) pays part of the invoice; a negative total adds credit.
    const starting = customer.balance;
    const after = invoice.total + starting;
    invoice.starting_balance = starting;
    invoice.amount_due = Math.max(0, after);
    invoice.amount_remaining = invoice.amount_due;
    invoice.ending_balance = Math.min(0, after);
    if (customer.balance !== invoice.ending_balance) {
      update(engine, 'customer', customer.id, (c) => {
        c.balance = invoice.ending_balance ?? 0;
      });
    }
  }
  invoice.status = 'open';
  invoice.effective_at = now;
  invoice.automatically_finalizes_at = null;
  invoice.status_transitions.finalized_at = now;
  invoice.hosted_invoice_url = `${engine.baseUrl}/invoice/${invoice.id}`;
  invoice.invoice_pdf = `${engine.baseUrl}/invoice/${invoice.id}/pdf`;
  if (invoice.amount_due > 0) {
    const pi = createPaymentIntent(engine, {
      amount: invoice.amount_due,
      currency: invoice.currency,
      customer: invoice.customer as string,
      description: DESCRIPTIONS[invoice.billing_reason ?? ''] ?? null,
      metadata: {},
      paymentMethod: null,
      receiptEmail: null,
      setupFutureUsage: 'off_session',
      transferGroup: null,
      statementDescriptor: null,
      captureMethod: 'automatic',
      account: engine.store.accountOf(invoice.id),
      clock,
    });
    const payment: Stripe.InvoicePayment = {
      id: newId('inpay'),
      object: 'invoice_payment',
      amount_paid: null,
      amount_requested: invoice.amount_due,
      created: now,
      currency: invoice.currency,
      invoice: invoice.id,
      is_default: true,
      livemode: false,
      payment: { type: 'payment_intent', payment_intent: pi.id },
      status: 'open',
      status_transitions: { canceled_at: null, paid_at: null },
    };
    engine.store.insert('invoice_payment', payment, { account: engine.store.accountOf(invoice.id), clock });
  }
  emit(engine, 'invoice.finalized', invoice);
  if (invoice.amount_due === 0) markPaid(engine, invoice, null);
}

/** Records the payment of an invoice (invoice_payment.paid, invoice.paid, invoice.payment_succeeded). */
export function markPaid(engine: Engine, invoice: InvoiceObj, pi: PaymentIntentObj | null): void {
  if (invoice.status === 'paid') return;
  const now = engine.nowOf(invoice.id);
  const payment = invoicePaymentOf(engine, invoice.id);
  if (payment && pi) {
    payment.status = 'paid';
    payment.amount_paid = pi.amount_received;
    payment.status_transitions.paid_at = now;
    emit(engine, 'invoice_payment.paid', payment);
  }
  invoice.status = 'paid';
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.attempted = true;
  if (invoice.attempt_count === 0 && invoice.amount_due > 0) invoice.attempt_count = 1;
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  invoice.status_transitions.paid_at = now;
  delete engine.store.internal.invoiceRetries[invoice.id];
  const stillOpen = engine.store.allBy('invoice', 'customer', invoice.customer as string).some((i) => i.id !== invoice.id && i.status === 'open' && i.attempted);
  if (!stillOpen) setDelinquent(engine, invoice.customer as string, false);
  emit(engine, 'invoice.paid', invoice);
  emit(engine, 'invoice.payment_succeeded', invoice);
  invoiceHooks.paid(engine, invoice, (pi?.payment_method as string | null) ?? null);
}

function defaultPaymentMethodFor(engine: Engine, invoice: InvoiceObj): string | null {
  if (invoice.default_payment_method) return invoice.default_payment_method as string;
  const subId = subscriptionOfInvoice(invoice);
  const sub = subId ? engine.store.get('subscription', subId) : undefined;
  if (sub?.default_payment_method) return sub.default_payment_method as string;
  const customer = engine.store.get('customer', invoice.customer as string);
  return (customer?.invoice_settings.default_payment_method as string | null) ?? null;
}

export type AttemptOptions = {
  paymentMethod?: Stripe.PaymentMethod;
  /** Renewals and retries are off-session; an authentication request then needs the customer. */
  offSession: boolean;
  /** The customer authenticated in this flow (Checkout). */
  authenticated?: boolean;
};

/** One payment attempt of an open invoice. The PaymentIntent hooks record the outcome. */
export function attemptPayment(engine: Engine, invoice: InvoiceObj, opts: AttemptOptions): ConfirmOutcome | { status: 'no_payment_method' } {
  if (invoice.status !== 'open') return { status: 'no_payment_method' };
  const payment = invoicePaymentOf(engine, invoice.id);
  const pi = payment ? engine.store.get('payment_intent', payment.payment.payment_intent as string) : undefined;
  if (!pi) return { status: 'no_payment_method' };
  const pmId = opts.paymentMethod?.id ?? defaultPaymentMethodFor(engine, invoice);
  const pm = opts.paymentMethod ?? (pmId ? engine.store.get('payment_method', pmId) : undefined);
  invoice.attempted = true;
  invoice.attempt_count += 1;
  if (!pm) {
    recordFailure(engine, invoice, false);
    return { status: 'no_payment_method' };
  }
  if (pi.status === 'requires_action' || pi.status === 'requires_confirmation') pi.status = 'requires_payment_method';
  return confirmPaymentIntent(engine, pi, {
    paymentMethod: pm,
    offSession: opts.offSession,
    returnUrl: null,
    authenticated: opts.authenticated ?? false,
    actionWhenAuthRequired: true,
  });
}

/** `customer.delinquent`: true while an invoice's automatic collection has failed. */
function setDelinquent(engine: Engine, customerId: string, value: boolean): void {
  const customer = engine.store.get('customer', customerId);
  if (!customer || customer.delinquent === value) return;
  update(engine, 'customer', customer.id, (c) => {
    c.delinquent = value;
  });
}

/** After a failed attempt: schedule the next retry or give up; invoice.payment_failed. */
function recordFailure(engine: Engine, invoice: InvoiceObj, requiresAction: boolean): void {
  const now = engine.nowOf(invoice.id);
  const retryable = invoice.billing_reason !== 'subscription_create' && invoice.auto_advance;
  let final = false;
  if (retryable) {
    const used = engine.store.internal.invoiceRetries[invoice.id] ?? 0;
    const days = engine.switches.invoiceRetryDays;
    const next = days[used];
    if (next === undefined) {
      invoice.next_payment_attempt = null;
      final = true;
    } else {
      invoice.next_payment_attempt = now + Math.round(next * 86400);
    }
  } else {
    invoice.next_payment_attempt = null;
  }
  setDelinquent(engine, invoice.customer as string, true);
  if (requiresAction) emit(engine, 'invoice.payment_action_required', invoice);
  if (!requiresAction || invoice.billing_reason !== 'subscription_create') emit(engine, 'invoice.payment_failed', invoice);
  invoiceHooks.failed(engine, invoice, final);
}

intentHooks.succeeded.push((engine, pi) => {
  const invoice = invoiceOfIntent(engine, pi.id);
  if (invoice && invoice.status === 'open') markPaid(engine, invoice, pi);
});

intentHooks.failed.push((engine, pi, requiresAction) => {
  const invoice = invoiceOfIntent(engine, pi.id);
  if (invoice && invoice.status === 'open') recordFailure(engine, invoice, requiresAction);
});

/** Finalizes a draft and makes the first attempt (renewals, always_invoice updates). */
export function finalizeAndPay(engine: Engine, invoice: InvoiceObj, opts: AttemptOptions): ConfirmOutcome | { status: 'no_payment_method' } | null {
  finalizeInvoice(engine, invoice);
  if (invoice.status !== 'open') return null;
  return attemptPayment(engine, invoice, opts);
}

export function voidInvoice(engine: Engine, invoice: InvoiceObj): void {
  invoice.status = 'void';
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  invoice.amount_remaining = 0;
  invoice.status_transitions.voided_at = engine.nowOf(invoice.id);
  const payment = invoicePaymentOf(engine, invoice.id);
  if (payment && payment.status === 'open') {
    payment.status = 'canceled';
    payment.status_transitions.canceled_at = engine.nowOf(invoice.id);
    const pi = engine.store.get('payment_intent', payment.payment.payment_intent as string);
    if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') {
      pi.status = 'canceled';
      pi.canceled_at = engine.nowOf(invoice.id);
      pi.cancellation_reason = 'void_invoice';
      emit(engine, 'payment_intent.canceled', pi);
    }
  }
  emit(engine, 'invoice.voided', invoice);
}

/** Stops automatic collection (subscription canceled). */
export function stopCollection(engine: Engine, invoice: InvoiceObj): void {
  if (invoice.status !== 'open' && invoice.status !== 'draft') return;
  update(engine, 'invoice', invoice.id, (i) => {
    i.next_payment_attempt = null;
    i.auto_advance = false;
    i.automatically_finalizes_at = null;
  });
}

registerTasks('invoice', (engine, invoice) => {
  if (invoice.status === 'draft' && invoice.automatically_finalizes_at) {
    return [{ at: invoice.automatically_finalizes_at, label: `finalize:${invoice.id}`, run: () => finalizeAndPay(engine, invoice, { offSession: true }) }];
  }
  if (invoice.status === 'open' && invoice.next_payment_attempt && invoice.auto_advance) {
    return [
      {
        at: invoice.next_payment_attempt,
        label: `retry:${invoice.id}:${invoice.attempt_count}`,
        run: () => {
          engine.store.internal.invoiceRetries[invoice.id] = (engine.store.internal.invoiceRetries[invoice.id] ?? 0) + 1;
          attemptPayment(engine, invoice, { offSession: true });
        },
      },
    ];
  }
  return [];
});

registerIncludable('invoice', 'payments', (engine, obj) => {
  const id = obj['id'] as string;
  const payments = engine.store.listBy('invoice_payment', engine.store.accountOf(id), 'invoice', id);
  return { object: 'list', data: payments.map((p) => structuredClone(p)), has_more: false, url: `/v1/invoice_payments?invoice=${id}` };
});

function mustInvoice(req: ApiRequest): InvoiceObj {
  return mustGet(req, 'invoice', req.params['id'], 'invoice');
}

export const routes: Route[] = [
  { method: 'GET', path: '/v1/invoices/search', handler: (req) => searchResponse(req, 'invoice', '/v1/invoices/search') },
  {
    method: 'GET',
    path: '/v1/invoices/:id',
    handler: (req) => render(req.engine, mustInvoice(req), validate(req.body, {}).expand),
  },
  {
    method: 'GET',
    path: '/v1/invoices',
    handler: (req) => {
      const p = validate<{ customer?: string; subscription?: string; status?: string; collection_method?: string } & Record<string, unknown>>(req.body, {
        ...LIST_PARAMS,
        customer: S.str(),
        subscription: S.str(),
        status: S.oneOf('draft', 'open', 'paid', 'uncollectible', 'void'),
        collection_method: S.oneOf('charge_automatically', 'send_invoice'),
        due_date: S.range(),
      });
      const items = req.engine.store.list('invoice', req.account, (i) =>
        (p.customer === undefined || i.customer === p.customer) &&
        (p.subscription === undefined || subscriptionOfInvoice(i) === p.subscription) &&
        (p.status === undefined || i.status === p.status),
      );
      return listResponse(req.engine, items, p, '/v1/invoices', 'invoice');
    },
  },
  {
    method: 'POST',
    path: '/v1/invoices/:id',
    handler: (req) => {
      const invoice = mustInvoice(req);
      const p = validate<{ metadata?: Record<string, string> | ''; description?: string; auto_advance?: boolean; default_payment_method?: string; footer?: string }>(req.body, {
        metadata: S.meta(),
        description: S.str(),
        auto_advance: S.bool(),
        default_payment_method: S.str(),
        footer: S.str(),
      });
      update(req.engine, 'invoice', invoice.id, (i) => {
        if (p.metadata !== undefined) i.metadata = mergeMetadata(i.metadata ?? {}, p.metadata);
        if (p.description !== undefined) i.description = p.description || null;
        if (p.auto_advance !== undefined) i.auto_advance = p.auto_advance;
        if (p.default_payment_method !== undefined) i.default_payment_method = p.default_payment_method || null;
        if (p.footer !== undefined) i.footer = p.footer || null;
      });
      return render(req.engine, invoice, (p as { expand?: string[] }).expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/invoices/:id/lines',
    handler: (req) => {
      const invoice = mustInvoice(req);
      const p = validate(req.body, LIST_PARAMS);
      return listResponse(req.engine, [...invoice.lines.data], p, `/v1/invoices/${invoice.id}/lines`, 'line item');
    },
  },
  {
    method: 'POST',
    path: '/v1/invoices/:id/finalize',
    handler: (req) => {
      const invoice = mustInvoice(req);
      const p = validate<{ auto_advance?: boolean }>(req.body, { auto_advance: S.bool() });
      if (invoice.status !== 'draft') {
        throw invalidRequest(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`, undefined, 'invoice_not_editable');
      }
      if (p.auto_advance !== undefined) invoice.auto_advance = p.auto_advance;
      finalizeInvoice(req.engine, invoice);
      return render(req.engine, invoice, (p as { expand?: string[] }).expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/invoices/:id/pay',
    handler: (req) => {
      const invoice = mustInvoice(req);
      const p = validate<{ payment_method?: string; off_session?: boolean; paid_out_of_band?: boolean; expand?: string[] }>(req.body, {
        payment_method: S.str(),
        off_session: S.bool(),
        paid_out_of_band: S.bool(),
        forgive: S.bool(),
        mandate: S.str(),
        source: S.str(),
      });
      if (invoice.status === 'paid') throw invalidRequest('Invoice is already paid', undefined, 'invoice_already_paid');
      if (invoice.status === 'void') {
        throw invalidRequest(`You cannot pay this invoice because it has a status of ${invoice.status}.`, undefined, 'invoice_not_open');
      }
      if (invoice.status === 'draft') finalizeInvoice(req.engine, invoice);
      if (p.paid_out_of_band) {
        markPaid(req.engine, invoice, null);
        return render(req.engine, invoice, p.expand);
      }
      if (invoice.status === 'uncollectible') invoice.status = 'open';
      const pm = p.payment_method ? resolvePaymentMethod(req, p.payment_method, 'payment_method') : undefined;
      if (pm && !pm.customer) {
        const customer = req.engine.store.get('customer', invoice.customer as string);
        if (customer) {
          pm.customer = customer.id;
          emit(req.engine, 'payment_method.attached', pm);
        }
      }
      const outcome = attemptPayment(req.engine, invoice, { paymentMethod: pm, offSession: p.off_session ?? true });
      if (outcome.status === 'no_payment_method') {
        throw invalidRequest('This customer has no attached payment source or default payment method. Please consider adding a default payment method.', undefined, 'invoice_no_customer_line_items');
      }
      if (outcome.status === 'failed') {
        const payment = invoicePaymentOf(req.engine, invoice.id);
        const pi = payment ? req.engine.store.get('payment_intent', payment.payment.payment_intent as string) : undefined;
        throw cardError({
          code: outcome.decline.code,
          decline_code: outcome.decline.decline_code,
          message: outcome.decline.message,
          charge: outcome.charge?.id,
          payment_intent: pi ? render(req.engine, pi) : undefined,
        });
      }
      if (outcome.status === 'requires_action') {
        throw cardError({ code: 'invoice_payment_intent_requires_action', message: 'This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice.' });
      }
      return render(req.engine, invoice, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/invoices/:id/void',
    handler: (req) => {
      const invoice = mustInvoice(req);
      const p = validate(req.body, {});
      if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
        throw invalidRequest(`You can only void an open or uncollectible invoice. This invoice is ${invoice.status}.`, undefined, 'invoice_not_editable');
      }
      voidInvoice(req.engine, invoice);
      return render(req.engine, invoice, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/invoices/:id/mark_uncollectible',
    handler: (req) => {
      const invoice = mustInvoice(req);
      const p = validate(req.body, {});
      if (invoice.status !== 'open') throw invalidRequest(`You can only mark an open invoice as uncollectible. This invoice is ${invoice.status}.`, undefined, 'invoice_not_editable');
      invoice.status = 'uncollectible';
      invoice.next_payment_attempt = null;
      invoice.status_transitions.marked_uncollectible_at = req.engine.nowOf(invoice.id);
      emit(req.engine, 'invoice.marked_uncollectible', invoice);
      return render(req.engine, invoice, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/invoice_payments',
    handler: (req) => {
      const p = validate<{ invoice?: string; payment?: { type?: string; payment_intent?: string }; status?: string } & Record<string, unknown>>(req.body, {
        ...LIST_PARAMS,
        invoice: S.str(),
        payment: S.obj({ type: S.oneOf('payment_intent', 'payment_record'), payment_intent: S.str(), payment_record: S.str() }),
        status: S.oneOf('canceled', 'open', 'paid'),
      });
      const items = req.engine.store.list('invoice_payment', req.account, (x) =>
        (p.invoice === undefined || x.invoice === p.invoice) &&
        (p.payment?.payment_intent === undefined || x.payment.payment_intent === p.payment.payment_intent) &&
        (p.status === undefined || x.status === p.status),
      );
      return listResponse(req.engine, items, p, '/v1/invoice_payments', 'invoice payment');
    },
  },
  {
    method: 'GET',
    path: '/v1/invoice_payments/:id',
    handler: (req) => render(req.engine, mustGet(req, 'invoice_payment', req.params['id']), validate(req.body, {}).expand),
  },
];

