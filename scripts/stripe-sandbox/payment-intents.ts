/**
 * PaymentIntents: create, confirm (on- or off-session, with test card behaviours), cancel,
 * update, list, search. Successful confirmation creates a charge with a balance transaction;
 * declines create a failed charge and answer 402 card_error with the PaymentIntent inside;
 * cards that need authentication go to `requires_action` with a hosted 3-D Secure page
 * (off-session: `authentication_required`).
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { clientSecret, newId } from './ids.ts';
import { StripeApiError, cardError, invalidRequest, noSuch } from './errors.ts';
import { emit, update } from './events.ts';
import { listResponse, mustFind, mustGet, render, type ApiRequest, type Route } from './api.ts';
import { LIST_PARAMS, PAYMENT_METHOD_TYPES_REMOVED, S, mergeMetadata, newMetadata, validate, type Spec } from './params.ts';
import { captureCharge, createCharge } from './charges.ts';
import { declineFor, type Decline } from './cards.ts';
import { attachPaymentMethod, CARD_SPEC, paymentMethodFromCardInput, resolvePaymentMethod } from './payment-methods.ts';
import { openDisputeIfScenario } from './disputes.ts';
import { searchResponse } from './search.ts';
import type { PaymentIntentObj } from './types.ts';

export const MINIMUM_AMOUNTS: Record<string, number> = {
  usd: 50, eur: 50, gbp: 30, cad: 50, aud: 50, chf: 50, nzd: 50, sgd: 50, hkd: 400, jpy: 50, dkk: 250, nok: 300, sek: 300, pln: 200, czk: 1500, mxn: 1000, brl: 50, inr: 50,
};

/** Listeners for PaymentIntent outcomes (invoices and Checkout react to their own intents). */
export const intentHooks: {
  succeeded: ((engine: Engine, pi: PaymentIntentObj) => void)[];
  failed: ((engine: Engine, pi: PaymentIntentObj, requiresAction: boolean) => void)[];
} = { succeeded: [], failed: [] };

export type NewPaymentIntent = {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  paymentMethod: string | null;
  receiptEmail: string | null;
  setupFutureUsage: Stripe.PaymentIntent.SetupFutureUsage | null;
  transferGroup: string | null;
  statementDescriptor: string | null;
  captureMethod: Stripe.PaymentIntent.CaptureMethod;
  account: string | null;
  clock: string | null;
};

export function createPaymentIntent(engine: Engine, input: NewPaymentIntent): PaymentIntentObj {
  const id = newId('pi');
  const pi: PaymentIntentObj = {
    id,
    object: 'payment_intent',
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: input.captureMethod,
    client_secret: clientSecret(id),
    confirmation_method: 'automatic',
    created: engine.now(input.clock),
    currency: input.currency,
    customer: input.customer,
    description: input.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: input.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    processing: null,
    receipt_email: input.receiptEmail,
    review: null,
    setup_future_usage: input.setupFutureUsage,
    shipping: null,
    source: null,
    statement_descriptor: input.statementDescriptor,
    statement_descriptor_suffix: null,
    status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: input.transferGroup,
    customer_account: null,
  };
  engine.store.insert('payment_intent', pi, { account: input.account, clock: input.clock });
  emit(engine, 'payment_intent.created', pi);
  return pi;
}

export type ConfirmOptions = {
  paymentMethod: Stripe.PaymentMethod;
  offSession: boolean;
  returnUrl: string | null;
  /** The customer has just authenticated this payment (3-D Secure page, Checkout). */
  authenticated: boolean;
  /**
   * Invoices: an off-session payment that needs authentication goes to `requires_action`
   * (the customer can authenticate on the hosted invoice page) instead of declining.
   */
  actionWhenAuthRequired?: boolean;
};

export type ConfirmOutcome =
  | { status: 'succeeded'; charge: Stripe.Charge }
  | { status: 'requires_action' }
  | { status: 'failed'; charge: Stripe.Charge | null; decline: Decline };

const AUTH_REQUIRED: Decline = {
  code: 'authentication_required',
  decline_code: 'authentication_required',
  message: 'Your card was declined. This transaction requires authentication.',
  outcomeReason: 'authentication_required',
  sellerMessage: 'The bank returned the decline code `authentication_required`.',
  networkStatus: 'declined_by_network',
  type: 'issuer_declined',
};

export const AUTH_FAILED = {
  code: 'payment_intent_authentication_failure',
  message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
};

/** Does paying with this card now need the customer to authenticate? */
export function needsAuthentication(engine: Engine, pmId: string, offSession: boolean, authenticated: boolean): boolean {
  const card = engine.store.internal.cards[pmId];
  if (!card || authenticated) return false;
  if (card.scenario === 'auth_required_always') return true;
  if (card.scenario === 'auth_required_on_setup') return offSession ? !card.authenticated : true;
  return false;
}

export function authenticationUrl(engine: Engine, intentId: string): string {
  return `${engine.baseUrl}/authenticate/${intentId}`;
}

/**
 * `redirect_to_url` when the integration gave a return_url, else `use_stripe_sdk` (what
 * Stripe.js handles); both point at the sandbox's hosted 3-D Secure page.
 */
export function nextAction(engine: Engine, intentId: string, returnUrl: string | null): Stripe.PaymentIntent.NextAction {
  const url = authenticationUrl(engine, intentId);
  if (returnUrl) return { type: 'redirect_to_url', redirect_to_url: { url, return_url: returnUrl } };
  return { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url, source: intentId } } as Stripe.PaymentIntent.NextAction;
}

/** Confirms a PaymentIntent with a payment method and records everything that follows. */
export function confirmPaymentIntent(engine: Engine, pi: PaymentIntentObj, opts: ConfirmOptions): ConfirmOutcome {
  const pm = opts.paymentMethod;
  const clock = engine.store.clockOf(pi.id);
  const account = engine.store.accountOf(pi.id);
  const card = engine.store.internal.cards[pm.id];
  const before = structuredClone(pi);
  pi.payment_method = pm.id;
  pi.next_action = null;

  let decline: Decline | null = null;
  if (needsAuthentication(engine, pm.id, opts.offSession, opts.authenticated)) {
    if (!opts.offSession || opts.actionWhenAuthRequired) {
      pi.status = 'requires_action';
      pi.next_action = nextAction(engine, pi.id, opts.returnUrl);
      engine.store.internal.challenges[pi.id] = { intent: pi.id, return_url: opts.returnUrl };
      emit(engine, 'payment_intent.requires_action', pi, { previous: { status: before.status } });
      for (const hook of intentHooks.failed) hook(engine, pi, true);
      return { status: 'requires_action' };
    }
    decline = AUTH_REQUIRED;
  } else if (card) {
    decline = declineFor(card.scenario);
  }

  const charge = createCharge(engine, {
    paymentIntent: pi.id,
    paymentMethod: pm,
    amount: pi.amount,
    currency: pi.currency,
    customer: (pi.customer as string | null) ?? null,
    description: pi.description,
    metadata: pi.metadata,
    receiptEmail: pi.receipt_email,
    transferGroup: pi.transfer_group,
    statementDescriptor: pi.statement_descriptor,
    account,
    clock,
    decline,
  }, pi.capture_method === 'manual' ? 'manual' : pi.capture_method === 'automatic_async' ? 'async' : 'sync');
  pi.latest_charge = charge.id;

  if (decline) {
    pi.status = 'requires_payment_method';
    pi.last_payment_error = {
      advice_code: decline.code === 'authentication_required' ? undefined : 'try_again_later',
      charge: charge.id,
      code: decline.code,
      decline_code: decline.decline_code,
      doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`,
      message: decline.message,
      payment_method: structuredClone(pm),
      type: 'card_error',
    } as Stripe.PaymentIntent.LastPaymentError;
    pi.payment_method = null;
    emit(engine, 'payment_intent.payment_failed', pi);
    for (const hook of intentHooks.failed) hook(engine, pi, false);
    return { status: 'failed', charge, decline };
  }

  pi.last_payment_error = null;
  delete engine.store.internal.challenges[pi.id];
  if (pi.capture_method === 'manual') {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
    emit(engine, 'payment_intent.amount_capturable_updated', pi);
    openDisputeIfScenario(engine, charge);
    return { status: 'succeeded', charge };
  }
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  if (card && (opts.authenticated || opts.offSession || card.scenario !== 'auth_required_on_setup') && pi.setup_future_usage) {
    card.authenticated = true;
  }
  if (pi.setup_future_usage && pi.customer && !pm.customer) {
    const customer = engine.store.get('customer', pi.customer as string);
    if (customer) attachPaymentMethod(engine, pm, customer, false);
  }
  emit(engine, 'payment_intent.succeeded', pi);
  for (const hook of intentHooks.succeeded) hook(engine, pi);
  openDisputeIfScenario(engine, charge);
  return { status: 'succeeded', charge };
}

/** Marks an authentication attempt as failed (hosted 3-D Secure page "Fail"). */
export function failAuthentication(engine: Engine, pi: PaymentIntentObj): void {
  const pm = pi.payment_method ? engine.store.get('payment_method', pi.payment_method as string) : undefined;
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.last_payment_error = {
    code: AUTH_FAILED.code,
    doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
    message: AUTH_FAILED.message,
    payment_method: pm ? structuredClone(pm) : undefined,
    type: 'invalid_request_error',
  } as Stripe.PaymentIntent.LastPaymentError;
  pi.payment_method = null;
  delete engine.store.internal.challenges[pi.id];
  emit(engine, 'payment_intent.payment_failed', pi);
  for (const hook of intentHooks.failed) hook(engine, pi, false);
}

/** Throws the API's 402 for a failed confirmation (card_error with the PaymentIntent inside). */
export function throwIfFailed(engine: Engine, pi: PaymentIntentObj, outcome: ConfirmOutcome): void {
  if (outcome.status !== 'failed') return;
  const d = outcome.decline;
  throw cardError({
    code: d.code,
    decline_code: d.decline_code,
    message: d.message,
    charge: outcome.charge?.id,
    payment_intent: render(engine, pi),
    payment_method: pi.last_payment_error?.payment_method,
    advice_code: d.code === 'authentication_required' ? undefined : 'try_again_later',
  });
}

function unexpectedState(engine: Engine, pi: PaymentIntentObj, message: string): StripeApiError {
  const err = invalidRequest(message, undefined, 'payment_intent_unexpected_state');
  err.body.payment_intent = render(engine, pi);
  return err;
}

const PAYMENT_METHOD_DATA: Spec = S.obj({ type: S.oneOf('card'), card: CARD_SPEC, billing_details: S.any(), metadata: S.meta(), allow_redisplay: S.str() });

const CREATE_FIELDS: Record<string, Spec> = {
  amount: S.int({ min: 0 }),
  currency: S.str(),
  customer: S.str(),
  description: S.str({ max: 1000 }),
  metadata: S.meta(),
  payment_method: S.str(),
  payment_method_data: PAYMENT_METHOD_DATA,
  payment_method_types: PAYMENT_METHOD_TYPES_REMOVED,
  allowed_payment_method_types: S.arr(S.str()),
  payment_method_options: S.any(),
  payment_method_configuration: S.str(),
  automatic_payment_methods: S.obj({ enabled: S.bool(), allow_redirects: S.oneOf('always', 'never') }),
  confirm: S.bool(),
  off_session: S.any(),
  receipt_email: S.str(),
  setup_future_usage: S.oneOf('off_session', 'on_session'),
  transfer_group: S.str(),
  capture_method: S.oneOf('automatic', 'automatic_async', 'manual'),
  confirmation_method: S.oneOf('automatic', 'manual'),
  return_url: S.str(),
  error_on_requires_action: S.bool(),
  statement_descriptor: S.str({ max: 22 }),
  statement_descriptor_suffix: S.str({ max: 22 }),
  shipping: S.any(),
  mandate_data: S.any(),
  use_stripe_sdk: S.bool(),
  radar_options: S.any(),
  excluded_payment_method_types: S.any(),
};

type CreateParams = {
  amount?: number;
  currency?: string;
  customer?: string;
  description?: string;
  metadata?: Record<string, string>;
  payment_method?: string;
  payment_method_data?: { type?: string; card?: Record<string, unknown>; billing_details?: Record<string, unknown>; metadata?: Record<string, string> };
  payment_method_types?: string[];
  confirm?: boolean;
  off_session?: string;
  receipt_email?: string;
  setup_future_usage?: Stripe.PaymentIntent.SetupFutureUsage;
  transfer_group?: string;
  capture_method?: Stripe.PaymentIntent.CaptureMethod;
  return_url?: string;
  error_on_requires_action?: boolean;
  statement_descriptor?: string;
  expand?: string[];
};

function offSessionValue(v: string | undefined, param = 'off_session'): boolean {
  if (v === undefined) return false;
  if (v === 'true' || v === 'one_off' || v === 'recurring') return true;
  if (v === 'false') return false;
  throw invalidRequest(`Invalid boolean: ${v}`, param);
}

function paymentMethodFromParams(req: ApiRequest, p: CreateParams, customerId: string | null): Stripe.PaymentMethod | null {
  if (p.payment_method) {
    const pm = resolvePaymentMethod(req, p.payment_method, 'payment_method');
    if (pm.customer && customerId && pm.customer !== customerId) {
      throw invalidRequest(
        `The provided PaymentMethod is attached to another customer (${pm.customer as string}). Use the customer it is attached to, or a different PaymentMethod.`,
        'payment_method',
        'payment_method_unexpected_state',
      );
    }
    if (pm.customer && !customerId) {
      throw invalidRequest(
        'The provided PaymentMethod was previously attached to a Customer. To use this PaymentMethod, you must also pass the ID of the Customer in the `customer` parameter.',
        'payment_method',
      );
    }
    return pm;
  }
  if (p.payment_method_data) {
    if (!p.payment_method_data.card) throw invalidRequest('Missing required param: payment_method_data[card].', 'payment_method_data[card]', 'parameter_missing');
    return paymentMethodFromCardInput(req.engine, p.payment_method_data.card, { metadata: newMetadata(p.payment_method_data.metadata) }, req.account, 'payment_method_data[card]');
  }
  return null;
}

function confirmFromApi(req: ApiRequest, pi: PaymentIntentObj, pm: Stripe.PaymentMethod, offSession: boolean, returnUrl: string | null, errorOnRequiresAction: boolean): void {
  const outcome = confirmPaymentIntent(req.engine, pi, { paymentMethod: pm, offSession, returnUrl, authenticated: false });
  if (outcome.status === 'requires_action' && errorOnRequiresAction) {
    throw cardError({ code: 'authentication_required', decline_code: 'authentication_required', message: AUTH_REQUIRED.message, payment_intent: render(req.engine, pi) });
  }
  throwIfFailed(req.engine, pi, outcome);
}

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/payment_intents',
    handler: (req) => {
      const p = validate<CreateParams>(req.body, { ...CREATE_FIELDS, amount: S.req(S.int({ min: 0 })), currency: S.req(S.str()) });
      const { engine } = req;
      const currency = (p.currency as string).toLowerCase();
      const amount = p.amount as number;
      const min = MINIMUM_AMOUNTS[currency] ?? 50;
      if (amount < min) {
        throw invalidRequest(`Amount must be at least ${(min / 100).toFixed(2)} ${currency}`, 'amount', 'amount_too_small');
      }
      if (amount > 99999999) throw invalidRequest('Amount must be no more than $999,999.99', 'amount', 'amount_too_large');
      if (p.off_session !== undefined && !p.confirm) {
        throw invalidRequest('off_session can only be set when confirm=true.', 'off_session');
      }
      let customerId: string | null = null;
      if (p.customer) {
        const c = engine.store.scoped('customer', p.customer, req.account);
        if (!c) throw noSuch('customer', p.customer, 'customer');
        customerId = c.id;
      }
      if (p.setup_future_usage && !customerId) {
        // Stripe allows this but cannot attach; keep the parameter
      }
      const offSession = offSessionValue(p.off_session);
      const pm = paymentMethodFromParams(req, p, customerId);
      const pi = createPaymentIntent(engine, {
        amount,
        currency,
        customer: customerId,
        description: p.description ?? null,
        metadata: newMetadata(p.metadata),
        paymentMethod: pm?.id ?? null,
        receiptEmail: p.receipt_email ?? null,
        setupFutureUsage: p.setup_future_usage ?? null,
        transferGroup: p.transfer_group ?? null,
        statementDescriptor: p.statement_descriptor ?? null,
        captureMethod: p.capture_method ?? 'automatic',
        account: req.account,
        clock: engine.store.clockOf(customerId),
      });
      if (p.confirm) {
        if (!pm) {
          throw unexpectedState(engine, pi, "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.");
        }
        confirmFromApi(req, pi, pm, offSession, p.return_url ?? null, Boolean(p.error_on_requires_action) || offSession);
      }
      return render(engine, pi, p.expand);
    },
  },
  { method: 'GET', path: '/v1/payment_intents/search', handler: (req) => searchResponse(req, 'payment_intent', '/v1/payment_intents/search') },
  {
    method: 'GET',
    path: '/v1/payment_intents/:id',
    handler: (req) => render(req.engine, mustGet(req, 'payment_intent', req.params['id'], 'intent'), validate(req.body, { client_secret: S.str() }).expand),
  },
  {
    method: 'POST',
    path: '/v1/payment_intents/:id',
    handler: (req) => {
      const pi = mustGet(req, 'payment_intent', req.params['id'], 'intent');
      const p = validate<CreateParams>(req.body, {
        amount: S.int({ min: 0 }),
        currency: S.str(),
        customer: S.str(),
        description: S.str(),
        metadata: S.meta(),
        payment_method: S.str(),
        receipt_email: S.str(),
        setup_future_usage: S.any(),
        transfer_group: S.str(),
        statement_descriptor: S.str(),
        statement_descriptor_suffix: S.str(),
        shipping: S.any(),
        payment_method_types: PAYMENT_METHOD_TYPES_REMOVED,
        allowed_payment_method_types: S.arr(S.str()),
        excluded_payment_method_types: S.any(),
        payment_method_options: S.any(),
        capture_method: S.oneOf('automatic', 'automatic_async'),
      });
      const locked = pi.status === 'succeeded' || pi.status === 'canceled' || pi.status === 'processing';
      const changesMoney = p.amount !== undefined || p.currency !== undefined || p.payment_method !== undefined || p.customer !== undefined;
      if (locked && changesMoney) {
        throw unexpectedState(req.engine, pi, `This PaymentIntent's amount, currency, customer and payment_method could not be updated because it has a status of ${pi.status}. You may only update these attributes of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.`);
      }
      if (p.customer) mustFind(req, 'customer', p.customer, 'customer');
      const pm = p.payment_method ? resolvePaymentMethod(req, p.payment_method, 'payment_method') : null;
      update(req.engine, 'payment_intent', pi.id, (x) => {
        if (p.amount !== undefined) x.amount = p.amount;
        if (p.currency !== undefined) x.currency = p.currency.toLowerCase();
        if (p.customer !== undefined) x.customer = p.customer || null;
        if (p.description !== undefined) x.description = p.description || null;
        if (p.metadata !== undefined) x.metadata = mergeMetadata(x.metadata, p.metadata);
        if (p.receipt_email !== undefined) x.receipt_email = p.receipt_email || null;
        if (p.transfer_group !== undefined) x.transfer_group = p.transfer_group || null;
        if (p.statement_descriptor !== undefined) x.statement_descriptor = p.statement_descriptor || null;
        if (p.setup_future_usage !== undefined) x.setup_future_usage = (p.setup_future_usage as unknown as string) === '' ? null : p.setup_future_usage;
        if (pm) {
          x.payment_method = pm.id;
          if (x.status === 'requires_payment_method') x.status = 'requires_confirmation';
        }
      });
      return render(req.engine, pi, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_intents/:id/confirm',
    handler: (req) => {
      const pi = mustGet(req, 'payment_intent', req.params['id'], 'intent');
      const p = validate<CreateParams>(req.body, {
        payment_method: S.str(),
        payment_method_data: PAYMENT_METHOD_DATA,
        off_session: S.any(),
        return_url: S.str(),
        receipt_email: S.str(),
        setup_future_usage: S.oneOf('off_session', 'on_session'),
        error_on_requires_action: S.bool(),
        payment_method_options: S.any(),
        payment_method_types: PAYMENT_METHOD_TYPES_REMOVED,
        allowed_payment_method_types: S.arr(S.str()),
        mandate_data: S.any(),
        use_stripe_sdk: S.bool(),
        shipping: S.any(),
        capture_method: S.oneOf('automatic', 'automatic_async'),
        client_secret: S.str(),
        radar_options: S.any(),
      });
      const confirmable = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
      if (!confirmable.includes(pi.status)) {
        const msg = pi.status === 'succeeded'
          ? 'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.'
          : `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`;
        throw unexpectedState(req.engine, pi, msg);
      }
      const pm = paymentMethodFromParams(req, p, (pi.customer as string | null) ?? null) ??
        (pi.payment_method ? req.engine.store.get('payment_method', pi.payment_method as string) ?? null : null);
      if (!pm) {
        throw unexpectedState(req.engine, pi, "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.");
      }
      if (p.receipt_email !== undefined) pi.receipt_email = p.receipt_email || null;
      if (p.setup_future_usage !== undefined) pi.setup_future_usage = p.setup_future_usage;
      const offSession = offSessionValue(p.off_session);
      confirmFromApi(req, pi, pm, offSession, p.return_url ?? null, Boolean(p.error_on_requires_action) || offSession);
      return render(req.engine, pi, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_intents/:id/cancel',
    handler: (req) => {
      const pi = mustGet(req, 'payment_intent', req.params['id'], 'intent');
      const p = validate<{ cancellation_reason?: Stripe.PaymentIntent.CancellationReason }>(req.body, {
        cancellation_reason: S.oneOf('abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'),
      });
      const cancellable = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
      if (!cancellable.includes(pi.status)) {
        throw unexpectedState(req.engine, pi, `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`);
      }
      cancelPaymentIntent(req.engine, pi, p.cancellation_reason ?? null);
      return render(req.engine, pi, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_intents/:id/capture',
    handler: (req) => {
      const pi = mustGet(req, 'payment_intent', req.params['id'], 'intent');
      const p = validate<{ amount_to_capture?: number; metadata?: Record<string, string>; expand?: string[] }>(req.body, {
        amount_to_capture: S.int({ min: 1 }),
        final_capture: S.bool(),
        metadata: S.meta(),
        statement_descriptor: S.str(),
        statement_descriptor_suffix: S.str(),
        application_fee_amount: S.int(),
      });
      if (pi.status !== 'requires_capture') {
        throw unexpectedState(req.engine, pi, `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`);
      }
      const amount = p.amount_to_capture ?? pi.amount_capturable;
      if (amount > pi.amount_capturable) {
        throw invalidRequest(`The amount to capture (${amount}) must be less than or equal to the amount capturable (${pi.amount_capturable}).`, 'amount_to_capture', 'amount_too_large');
      }
      const charge = req.engine.store.get('charge', pi.latest_charge as string);
      if (!charge) throw unexpectedState(req.engine, pi, 'This PaymentIntent has no charge to capture.');
      captureCharge(req.engine, charge, amount);
      update(req.engine, 'payment_intent', pi.id, (x) => {
        x.status = 'succeeded';
        x.amount_received = amount;
        x.amount_capturable = 0;
        if (p.metadata) x.metadata = mergeMetadata(x.metadata, p.metadata);
      }, null);
      emit(req.engine, 'payment_intent.succeeded', pi);
      for (const hook of intentHooks.succeeded) hook(req.engine, pi);
      return render(req.engine, pi, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/payment_intents',
    handler: (req) => {
      const p = validate<{ customer?: string } & Record<string, unknown>>(req.body, { ...LIST_PARAMS, customer: S.str() });
      const items = req.engine.store.list('payment_intent', req.account, (x) => p.customer === undefined || x.customer === p.customer);
      return listResponse(req.engine, items, p, '/v1/payment_intents', 'payment_intent');
    },
  },
];

export function cancelPaymentIntent(engine: Engine, pi: PaymentIntentObj, reason: Stripe.PaymentIntent.CancellationReason | null): void {
  pi.status = 'canceled';
  pi.canceled_at = engine.nowOf(pi.id);
  pi.cancellation_reason = reason;
  pi.next_action = null;
  delete engine.store.internal.challenges[pi.id];
  emit(engine, 'payment_intent.canceled', pi);
}
