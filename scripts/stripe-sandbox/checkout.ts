/**
 * Checkout Sessions in payment, subscription and setup mode, completed on the sandbox's hosted
 * page (pages/checkout.ts). Completing creates what Stripe Checkout creates (customer, payment
 * method, subscription + paid first invoice / PaymentIntent + charge / SetupIntent) and emits
 * checkout.session.completed; sessions expire at expires_at (checkout.session.expired).
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId, randomString } from './ids.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { emit, update } from './events.ts';
import { listResponse, mustGet, render, type ApiRequest, type Route } from './api.ts';
import { LIST_PARAMS, PAYMENT_METHOD_TYPES_REMOVED, S, mergeMetadata, newMetadata, validate, type Spec } from './params.ts';
import { createPrice, mustPrice, type PriceInput } from './products.ts';
import { registerTasks } from './scheduler.ts';
import { cardFor, declineFor, failsOnAttach } from './cards.ts';
import { attachPaymentMethod, createCardPaymentMethod } from './payment-methods.ts';
import { cancelPaymentIntent, confirmPaymentIntent, createPaymentIntent, needsAuthentication } from './payment-intents.ts';
import { confirmSetupIntent, createSetupIntent } from './setup-intents.ts';
import { createCustomer } from './customers.ts';
import { createSubscription } from './subscriptions.ts';
import type { CheckoutInternal, CheckoutSessionObj } from './types.ts';

const DAY = 86400;

export function checkoutInternal(engine: Engine, id: string): CheckoutInternal | undefined {
  return engine.store.internal.checkout[id];
}

function lineItemFrom(engine: Engine, price: Stripe.Price, quantity: number): Stripe.LineItem {
  const product = engine.store.get('product', price.product as string);
  const subtotal = (price.unit_amount ?? 0) * quantity;
  return {
    id: newId('li'),
    object: 'item',
    adjustable_quantity: null,
    amount_discount: 0,
    amount_subtotal: subtotal,
    amount_tax: 0,
    amount_total: subtotal,
    currency: price.currency,
    description: product?.name ?? price.nickname ?? '',
    metadata: {},
    price: structuredClone(price),
    quantity,
  } as Stripe.LineItem;
}

const PRICE_DATA: Spec = S.obj({
  currency: S.req(S.str()),
  unit_amount: S.int({ min: 0 }),
  unit_amount_decimal: S.str(),
  product: S.str(),
  product_data: S.obj({ name: S.req(S.str()), description: S.str(), images: S.arr(S.str()), metadata: S.meta(), tax_code: S.str(), unit_label: S.str() }),
  recurring: S.obj({ interval: S.req(S.oneOf('day', 'week', 'month', 'year')), interval_count: S.int({ min: 1 }) }),
  tax_behavior: S.oneOf('exclusive', 'inclusive', 'unspecified'),
});

const CREATE_FIELDS: Record<string, Spec> = {
  mode: S.oneOf('payment', 'setup', 'subscription'),
  line_items: S.arr(S.obj({ price: S.str(), price_data: PRICE_DATA, quantity: S.int({ min: 0 }), adjustable_quantity: S.any(), dynamic_tax_rates: S.any(), tax_rates: S.any(), metadata: S.meta() })),
  customer: S.str(),
  customer_email: S.str(),
  customer_creation: S.oneOf('always', 'if_required'),
  customer_update: S.any(),
  success_url: S.str({ max: 5000 }),
  cancel_url: S.str({ max: 5000 }),
  return_url: S.str({ max: 5000 }),
  metadata: S.meta(),
  client_reference_id: S.str({ max: 200 }),
  expires_at: S.ts(),
  currency: S.str(),
  subscription_data: S.obj({
    metadata: S.meta(),
    description: S.str(),
    billing_cycle_anchor: S.ts(),
    proration_behavior: S.oneOf('create_prorations', 'none'),
    trial_period_days: S.int({ min: 1 }),
    trial_end: S.ts(),
    application_fee_percent: S.any(),
    transfer_data: S.any(),
    on_behalf_of: S.str(),
    default_tax_rates: S.any(),
    invoice_settings: S.any(),
    trial_settings: S.any(),
    billing_mode: S.any(),
  }),
  payment_intent_data: S.obj({
    metadata: S.meta(),
    description: S.str(),
    setup_future_usage: S.oneOf('off_session', 'on_session'),
    transfer_group: S.str(),
    receipt_email: S.str(),
    capture_method: S.oneOf('automatic', 'automatic_async', 'manual'),
    statement_descriptor: S.str({ max: 22 }),
    statement_descriptor_suffix: S.str(),
    application_fee_amount: S.int(),
    transfer_data: S.any(),
    on_behalf_of: S.str(),
    shipping: S.any(),
  }),
  setup_intent_data: S.obj({ metadata: S.meta(), description: S.str(), on_behalf_of: S.str() }),
  payment_method_types: PAYMENT_METHOD_TYPES_REMOVED,
  allowed_payment_method_types: S.arr(S.str()),
  excluded_payment_method_types: S.any(),
  payment_method_collection: S.oneOf('always', 'if_required'),
  payment_method_options: S.any(),
  payment_method_configuration: S.str(),
  ui_mode: S.oneOf('elements', 'embedded_page', 'form', 'hosted_page'),
  locale: S.str(),
  billing_address_collection: S.oneOf('auto', 'required'),
  allow_promotion_codes: S.bool(),
  submit_type: S.oneOf('auto', 'book', 'donate', 'pay', 'subscribe'),
  consent_collection: S.any(),
  custom_text: S.any(),
  custom_fields: S.any(),
  phone_number_collection: S.any(),
  tax_id_collection: S.any(),
  automatic_tax: S.any(),
  invoice_creation: S.any(),
  discounts: S.any(),
  saved_payment_method_options: S.any(),
  shipping_address_collection: S.any(),
  shipping_options: S.any(),
  after_expiration: S.any(),
  redirect_on_completion: S.oneOf('always', 'if_required', 'never'),
  adaptive_pricing: S.any(),
  wallet_options: S.any(),
  origin_context: S.any(),
  branding_settings: S.any(),
  name_collection: S.any(),
  optional_items: S.any(),
  permissions: S.any(),
};

type LineItemParam = { price?: string; price_data?: PriceInput; quantity?: number };
type CreateParams = {
  mode?: 'payment' | 'setup' | 'subscription';
  line_items?: LineItemParam[];
  customer?: string;
  customer_email?: string;
  customer_creation?: 'always' | 'if_required';
  success_url?: string;
  cancel_url?: string;
  return_url?: string;
  metadata?: Record<string, string>;
  client_reference_id?: string;
  expires_at?: number;
  currency?: string;
  subscription_data?: { metadata?: Record<string, string>; description?: string; billing_cycle_anchor?: number; proration_behavior?: string; trial_period_days?: number; trial_end?: number };
  payment_intent_data?: CheckoutInternal['paymentIntentData'] & { metadata?: Record<string, string> };
  setup_intent_data?: { metadata?: Record<string, string>; description?: string };
  ui_mode?: string;
  locale?: string;
  submit_type?: Stripe.Checkout.Session.SubmitType;
  expand?: string[];
};

function createSession(req: ApiRequest): CheckoutSessionObj {
  const p = validate<CreateParams>(req.body, CREATE_FIELDS);
  const { engine } = req;
  if (!p.mode) throw invalidRequest('Missing required param: mode.', 'mode', 'parameter_missing');
  if (p.customer && p.customer_email) throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', 'customer_email');
  let customer: Stripe.Customer | undefined;
  if (p.customer) {
    customer = engine.store.scoped('customer', p.customer, req.account);
    if (!customer) throw noSuch('customer', p.customer, 'customer');
  }
  const clock = (customer?.test_clock as string | null) ?? null;
  const now = engine.now(clock);

  const lineItems: Stripe.LineItem[] = [];
  if (p.mode !== 'setup') {
    if (!p.line_items || p.line_items.length === 0) {
      throw invalidRequest(`You must provide at least one line item when mode is ${p.mode}.`, 'line_items', 'parameter_missing');
    }
    p.line_items.forEach((li, i) => {
      let price: Stripe.Price;
      if (li.price) price = mustPrice(req, li.price, `line_items[${i}][price]`);
      else if (li.price_data) price = createPrice(req, li.price_data, `line_items[${i}][price_data]`, true);
      else throw invalidRequest(`Missing required param: line_items[${i}][price].`, `line_items[${i}][price]`, 'parameter_missing');
      if (!price.active && li.price) throw invalidRequest(`The price \`${price.id}\` is not active.`, `line_items[${i}][price]`);
      if (p.mode === 'payment' && price.type === 'recurring') {
        throw invalidRequest('You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', `line_items[${i}][price]`);
      }
      lineItems.push(lineItemFrom(engine, price, li.quantity ?? 1));
    });
    if (p.mode === 'subscription' && !lineItems.some((li) => li.price?.type === 'recurring')) {
      throw invalidRequest('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items');
    }
    const currencies = new Set(lineItems.map((li) => li.currency));
    if (currencies.size > 1) throw invalidRequest('All line items must have the same currency.', 'line_items');
  }
  if (p.expires_at !== undefined) {
    if (p.expires_at < now + 30 * 60) throw invalidRequest('The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.', 'expires_at');
    if (p.expires_at > now + DAY) throw invalidRequest('The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.', 'expires_at');
  }
  const total = lineItems.reduce((s, li) => s + li.amount_total, 0);
  const currency = lineItems[0]?.currency ?? (p.currency ? p.currency.toLowerCase() : null);
  const id = `cs_test_${randomString(58)}`;
  const session: CheckoutSessionObj = {
    id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: p.mode === 'setup' ? null : total,
    amount_total: p.mode === 'setup' ? null : total,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: p.cancel_url ?? null,
    client_reference_id: p.client_reference_id ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: now,
    currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: customer?.id ?? null,
    customer_account: null,
    customer_creation: customer ? null : p.mode === 'subscription' ? 'always' : (p.customer_creation ?? 'if_required'),
    customer_details: null,
    customer_email: p.customer_email ?? null,
    discounts: [],
    expires_at: p.expires_at ?? now + DAY,
    integration_identifier: null,
    invoice: null,
    invoice_creation: p.mode === 'payment'
      ? { enabled: false, invoice_data: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: null, metadata: {}, rendering_options: null } }
      : null,
    livemode: false,
    locale: (p.locale as Stripe.Checkout.Session.Locale | undefined) ?? null,
    managed_payments: null,
    metadata: newMetadata(p.metadata),
    mode: p.mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: p.mode === 'payment' ? null : 'always',
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    payment_status: p.mode === 'setup' ? 'no_payment_required' : 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: p.submit_type ?? null,
    subscription: null,
    success_url: p.success_url ?? null,
    total_details: p.mode === 'setup' ? null : { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted_page',
    url: `${engine.baseUrl}/checkout/${id}`,
    wallet_options: null,
  } as unknown as CheckoutSessionObj;
  engine.store.insert('checkout.session', session, { account: req.account, clock });
  engine.store.internal.checkout[id] = {
    lineItems,
    paymentIntentData: { ...(p.payment_intent_data ?? {}), metadata: newMetadata(p.payment_intent_data?.metadata) },
    subscriptionData: {
      metadata: newMetadata(p.subscription_data?.metadata),
      description: p.subscription_data?.description,
      billing_cycle_anchor: p.subscription_data?.billing_cycle_anchor,
      proration_behavior: p.subscription_data?.proration_behavior,
      trial_period_days: p.subscription_data?.trial_period_days,
      trial_end: p.subscription_data?.trial_end,
    } as CheckoutInternal['subscriptionData'],
    setupIntentData: { metadata: newMetadata(p.setup_intent_data?.metadata), description: p.setup_intent_data?.description },
  };
  return session;
}

export function expireSession(engine: Engine, session: CheckoutSessionObj): void {
  if (session.status !== 'open') return;
  session.status = 'expired';
  session.url = null;
  if (session.payment_intent) {
    const pi = engine.store.get('payment_intent', session.payment_intent as string);
    if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') cancelPaymentIntent(engine, pi, 'abandoned');
  }
  delete engine.store.internal.challenges[session.id];
  emit(engine, 'checkout.session.expired', session);
}

registerTasks('checkout.session', (engine, session) =>
  session.status === 'open' ? [{ at: session.expires_at, label: `expire:${session.id}`, run: () => expireSession(engine, session) }] : [],
);

// ---------------------------------------------------------------------------------------------
// Completion from the hosted page

export type CardForm = { email?: string; name?: string; number: string; expiry: { month: number; year: number } | null; cvc: string };

export type CompletionResult =
  | { kind: 'redirect'; url: string }
  | { kind: 'error'; message: string }
  | { kind: 'authenticate' };

type PendingCard = { pm: string; email: string | null; name: string | null };

function pendingOf(engine: Engine, sessionId: string): PendingCard | undefined {
  const internal = engine.store.internal.checkout[sessionId] as (CheckoutInternal & { pending?: PendingCard }) | undefined;
  return internal?.pending;
}

function setPending(engine: Engine, sessionId: string, pending: PendingCard | undefined): void {
  const internal = engine.store.internal.checkout[sessionId] as (CheckoutInternal & { pending?: PendingCard }) | undefined;
  if (!internal) return;
  if (pending) internal.pending = pending;
  else delete internal.pending;
}

export function successRedirect(session: CheckoutSessionObj): string {
  const url = session.success_url ?? session.return_url ?? '/';
  return url.replace(/\{CHECKOUT_SESSION_ID\}/g, session.id);
}

/** Validates the typed card and, unless it needs 3-D Secure first, completes the session. */
export function submitCheckout(engine: Engine, session: CheckoutSessionObj, form: CardForm): CompletionResult {
  if (session.status !== 'open') return { kind: 'error', message: 'This Checkout Session is no longer active.' };
  const email = session.customer
    ? (engine.store.get('customer', session.customer as string)?.email ?? null)
    : (session.customer_email ?? (form.email?.trim() || null));
  if (!session.customer && !email) return { kind: 'error', message: 'Enter your email address.' };
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return { kind: 'error', message: 'Your email address is invalid.' };
  const digits = form.number.replace(/[\s-]/g, '');
  if (!digits) return { kind: 'error', message: 'Your card number is incomplete.' };
  const card = cardFor(digits);
  if (!card) return { kind: 'error', message: 'Your card number is invalid.' };
  if (!form.expiry) return { kind: 'error', message: "Your card's expiration date is incomplete." };
  const clock = engine.store.clockOf(session.id);
  const now = new Date(engine.now(clock) * 1000);
  if (form.expiry.year < now.getUTCFullYear() || (form.expiry.year === now.getUTCFullYear() && form.expiry.month < now.getUTCMonth() + 1)) {
    return { kind: 'error', message: "Your card's expiration year is in the past." };
  }
  if (!/^\d{3,4}$/.test(form.cvc.trim())) return { kind: 'error', message: "Your card's security code is incomplete." };

  const account = engine.store.accountOf(session.id);
  const pm = createCardPaymentMethod(engine, card, {
    exp_month: form.expiry.month,
    exp_year: form.expiry.year,
    cvc: form.cvc,
    billing_details: { email: email ?? undefined, name: form.name?.trim() || undefined },
  }, account, clock);
  const pending: PendingCard = { pm: pm.id, email, name: form.name?.trim() || null };
  if (needsAuthentication(engine, pm.id, false, false)) {
    setPending(engine, session.id, pending);
    engine.store.internal.challenges[session.id] = { intent: session.id, return_url: null, checkout: session.id };
    return { kind: 'authenticate' };
  }
  return completeCheckout(engine, session, pending, false);
}

/** The hosted 3-D Secure step of Checkout: complete or fail. */
export function finishAuthentication(engine: Engine, session: CheckoutSessionObj, ok: boolean): CompletionResult {
  const pending = pendingOf(engine, session.id);
  setPending(engine, session.id, undefined);
  delete engine.store.internal.challenges[session.id];
  if (!pending || session.status !== 'open') return { kind: 'error', message: 'This Checkout Session is no longer active.' };
  if (!ok) return { kind: 'error', message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.' };
  return completeCheckout(engine, session, pending, true);
}

function ensureCustomer(engine: Engine, session: CheckoutSessionObj, pending: PendingCard, needed: boolean): Stripe.Customer | null {
  if (session.customer) return engine.store.get('customer', session.customer as string) ?? null;
  if (!needed) return null;
  return createCustomer(engine, { email: pending.email, name: pending.name, test_clock: engine.store.clockOf(session.id) }, engine.store.accountOf(session.id));
}

function completeCheckout(engine: Engine, session: CheckoutSessionObj, pending: PendingCard, authenticated: boolean): CompletionResult {
  const internal = engine.store.internal.checkout[session.id];
  const pm = engine.store.get('payment_method', pending.pm);
  if (!internal || !pm) return { kind: 'error', message: 'Something went wrong. Please try again.' };
  const card = engine.store.internal.cards[pm.id];
  const decline = card ? declineFor(card.scenario) : null;

  if (session.mode === 'subscription') {
    // Checkout confirms the card before it creates the subscription: a decline creates nothing.
    if (decline) return { kind: 'error', message: decline.message };
    const customer = ensureCustomer(engine, session, pending, true);
    if (!customer) return { kind: 'error', message: 'Something went wrong. Please try again.' };
    attachPaymentMethod(engine, pm, customer, false);
    if (card) card.authenticated = true;
    const recurring = internal.lineItems.filter((li) => li.price?.type === 'recurring');
    const sd = internal.subscriptionData as CheckoutInternal['subscriptionData'] & { trial_period_days?: number; trial_end?: number };
    const now = engine.nowOf(session.id);
    const sub = createSubscription(engine, {
      customer,
      items: recurring.map((li) => ({ price: li.price as Stripe.Price, quantity: li.quantity ?? 1, metadata: {} })),
      metadata: sd.metadata ?? {},
      defaultPaymentMethod: pm.id,
      paymentBehavior: 'allow_incomplete',
      description: sd.description ?? null,
      trialEnd: sd.trial_end ?? (sd.trial_period_days ? now + sd.trial_period_days * DAY : null),
      billingCycleAnchor: sd.billing_cycle_anchor ?? null,
      prorationBehavior: sd.proration_behavior === 'none' ? 'none' : 'create_prorations',
      saveDefaultPaymentMethod: 'on_subscription',
      cancelAtPeriodEnd: false,
      authenticated: true,
      offSession: false,
      applicationFeePercent: null,
      transferData: null,
    });
    const invoice = engine.store.get('invoice', sub.latest_invoice as string);
    if (sub.status !== 'active' && sub.status !== 'trialing') {
      return { kind: 'error', message: 'Your card was declined.' };
    }
    session.customer = customer.id;
    session.subscription = sub.id;
    session.invoice = invoice?.id ?? null;
    session.payment_status = invoice && invoice.amount_due > 0 ? 'paid' : 'no_payment_required';
  } else if (session.mode === 'payment') {
    const pid = internal.paymentIntentData;
    const needsCustomer = session.customer_creation === 'always' || Boolean(pid.setup_future_usage);
    const customer = ensureCustomer(engine, session, pending, needsCustomer);
    let pi = session.payment_intent ? engine.store.get('payment_intent', session.payment_intent as string) : undefined;
    if (!pi || pi.status === 'canceled' || pi.status === 'succeeded') {
      pi = createPaymentIntent(engine, {
        amount: session.amount_total ?? 0,
        currency: session.currency ?? 'usd',
        customer: customer?.id ?? null,
        description: pid.description ?? null,
        metadata: pid.metadata ?? {},
        paymentMethod: null,
        receiptEmail: pid.receipt_email ?? pending.email,
        setupFutureUsage: (pid.setup_future_usage as Stripe.PaymentIntent.SetupFutureUsage | undefined) ?? null,
        transferGroup: pid.transfer_group ?? null,
        statementDescriptor: pid.statement_descriptor ?? null,
        captureMethod: (pid.capture_method as Stripe.PaymentIntent.CaptureMethod | undefined) ?? 'automatic',
        account: engine.store.accountOf(session.id),
        clock: engine.store.clockOf(session.id),
      });
      session.payment_intent = pi.id;
    }
    const outcome = confirmPaymentIntent(engine, pi, { paymentMethod: pm, offSession: false, returnUrl: null, authenticated });
    if (outcome.status === 'failed') return { kind: 'error', message: outcome.decline.message };
    if (outcome.status !== 'succeeded') return { kind: 'error', message: 'Your card was declined.' };
    if (customer) session.customer = customer.id;
    session.payment_status = 'paid';
  } else {
    if (card && failsOnAttach(card.scenario)) {
      const d = declineFor(card.scenario);
      return { kind: 'error', message: d?.message ?? 'Your card was declined.' };
    }
    const customer = ensureCustomer(engine, session, pending, session.customer_creation === 'always');
    const sid = internal.setupIntentData;
    const si = createSetupIntent(engine, {
      customer: customer?.id ?? null,
      paymentMethod: null,
      metadata: sid.metadata ?? {},
      description: sid.description ?? null,
      usage: 'off_session',
      account: engine.store.accountOf(session.id),
      clock: engine.store.clockOf(session.id),
    });
    const outcome = confirmSetupIntent(engine, si, pm, { returnUrl: null, authenticated: true });
    if (outcome.status !== 'succeeded') return { kind: 'error', message: outcome.status === 'failed' ? outcome.message : 'Your card was declined.' };
    if (customer) session.customer = customer.id;
    session.setup_intent = si.id;
    session.payment_status = 'no_payment_required';
  }

  session.status = 'complete';
  session.url = null;
  session.customer_details = {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    business_name: null,
    email: pending.email,
    individual_name: null,
    name: pending.name,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  } as Stripe.Checkout.Session.CustomerDetails;
  emit(engine, 'checkout.session.completed', session);
  engine.changed();
  return { kind: 'redirect', url: successRedirect(session) };
}

// ---------------------------------------------------------------------------------------------
// API

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/checkout/sessions',
    handler: (req) => {
      const session = createSession(req);
      return render(req.engine, session, (validate(req.body, CREATE_FIELDS) as { expand?: string[] }).expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/checkout/sessions/:id',
    handler: (req) => render(req.engine, mustGet(req, 'checkout.session', req.params['id'], 'session'), validate(req.body, {}).expand),
  },
  {
    method: 'POST',
    path: '/v1/checkout/sessions/:id',
    handler: (req) => {
      const session = mustGet(req, 'checkout.session', req.params['id'], 'session');
      const p = validate<{ metadata?: Record<string, string> | ''; expand?: string[] }>(req.body, { metadata: S.meta(), collected_information: S.any(), shipping_options: S.any() });
      update(req.engine, 'checkout.session', session.id, (s) => {
        if (p.metadata !== undefined) s.metadata = mergeMetadata(s.metadata, p.metadata);
      }, null);
      return render(req.engine, session, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/checkout/sessions/:id/expire',
    handler: (req) => {
      const session = mustGet(req, 'checkout.session', req.params['id'], 'session');
      const p = validate(req.body, {});
      if (session.status !== 'open') {
        throw invalidRequest(`Only Checkout Sessions with a status of \`open\` can be expired. This Checkout Session has a status of \`${session.status}\`.`, undefined, 'checkout_session_unexpected_state' as string);
      }
      expireSession(req.engine, session);
      return render(req.engine, session, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/checkout/sessions/:id/line_items',
    handler: (req) => {
      const session = mustGet(req, 'checkout.session', req.params['id'], 'session');
      const p = validate(req.body, LIST_PARAMS);
      const items = checkoutInternal(req.engine, session.id)?.lineItems ?? [];
      return listResponse(req.engine, [...items], p, `/v1/checkout/sessions/${session.id}/line_items`, 'line item');
    },
  },
  {
    method: 'GET',
    path: '/v1/checkout/sessions',
    handler: (req) => {
      const p = validate<{ customer?: string; payment_intent?: string; subscription?: string; status?: string; customer_details?: { email?: string } } & Record<string, unknown>>(req.body, {
        ...LIST_PARAMS,
        customer: S.str(),
        customer_details: S.obj({ email: S.str() }),
        payment_intent: S.str(),
        payment_link: S.str(),
        status: S.oneOf('complete', 'expired', 'open'),
        subscription: S.str(),
        customer_account: S.str(),
      });
      const items = req.engine.store.list('checkout.session', req.account, (s) =>
        (p.customer === undefined || s.customer === p.customer) &&
        (p.payment_intent === undefined || s.payment_intent === p.payment_intent) &&
        (p.subscription === undefined || s.subscription === p.subscription) &&
        (p.status === undefined || s.status === p.status) &&
        (p.customer_details?.email === undefined || s.customer_details?.email === p.customer_details.email),
      );
      return listResponse(req.engine, items, p, '/v1/checkout/sessions', 'checkout.session');
    },
  },
];
