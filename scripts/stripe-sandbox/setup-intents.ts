/**
 * SetupIntents: save a card for later off-session payments. Decline cards fail the setup
 * (setup_intent.setup_failed, 402 card_error); 3-D Secure cards go to `requires_action` with the
 * hosted authentication page; a successful setup attaches the card to the customer and marks
 * it as set up for off-session use.
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { clientSecret, newId } from './ids.ts';
import { StripeApiError, cardError, invalidRequest, noSuch } from './errors.ts';
import { emit, update } from './events.ts';
import { listResponse, mustFind, mustGet, render, type ApiRequest, type Route } from './api.ts';
import { LIST_PARAMS, PAYMENT_METHOD_TYPES_REMOVED, S, mergeMetadata, newMetadata, validate, type Spec } from './params.ts';
import { declineFor, failsOnAttach } from './cards.ts';
import { attachPaymentMethod, CARD_SPEC, paymentMethodFromCardInput, resolvePaymentMethod } from './payment-methods.ts';
import { AUTH_FAILED, nextAction } from './payment-intents.ts';
import type { SetupIntentObj } from './types.ts';

export const setupHooks: { succeeded: ((engine: Engine, si: SetupIntentObj) => void)[] } = { succeeded: [] };

export function createSetupIntent(
  engine: Engine,
  input: { customer: string | null; paymentMethod: string | null; metadata: Record<string, string>; description: string | null; usage: string; account: string | null; clock: string | null },
): SetupIntentObj {
  const id = newId('seti');
  const si: SetupIntentObj = {
    id,
    object: 'setup_intent',
    application: null,
    automatic_payment_methods: null,
    cancellation_reason: null,
    client_secret: clientSecret(id),
    created: engine.now(input.clock),
    customer: input.customer,
    description: input.description,
    excluded_payment_method_types: null,
    flow_directions: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: input.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    single_use_mandate: null,
    status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    usage: input.usage,
  };
  engine.store.insert('setup_intent', si, { account: input.account, clock: input.clock });
  emit(engine, 'setup_intent.created', si);
  return si;
}

export type SetupOutcome = { status: 'succeeded' } | { status: 'requires_action' } | { status: 'failed'; code: string; decline_code?: string; message: string };

export function confirmSetupIntent(engine: Engine, si: SetupIntentObj, pm: Stripe.PaymentMethod, opts: { returnUrl: string | null; authenticated: boolean }): SetupOutcome {
  const card = engine.store.internal.cards[pm.id];
  si.payment_method = pm.id;
  si.next_action = null;
  const needsAuth = card && !opts.authenticated && (card.scenario === 'auth_required_on_setup' || card.scenario === 'auth_required_always');
  if (needsAuth) {
    si.status = 'requires_action';
    si.next_action = nextAction(engine, si.id, opts.returnUrl) as Stripe.SetupIntent.NextAction;
    engine.store.internal.challenges[si.id] = { intent: si.id, return_url: opts.returnUrl };
    emit(engine, 'setup_intent.requires_action', si);
    return { status: 'requires_action' };
  }
  if (card && failsOnAttach(card.scenario)) {
    const d = declineFor(card.scenario);
    const code = d?.code ?? 'card_declined';
    const message = d?.message ?? 'Your card was declined.';
    si.status = 'requires_payment_method';
    si.last_setup_error = {
      code,
      decline_code: d?.decline_code,
      doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`,
      message,
      payment_method: structuredClone(pm),
      type: 'card_error',
    } as Stripe.SetupIntent.LastSetupError;
    si.payment_method = null;
    emit(engine, 'setup_intent.setup_failed', si);
    return { status: 'failed', code, decline_code: d?.decline_code, message };
  }
  if (si.customer) {
    const customer = engine.store.get('customer', si.customer as string);
    if (customer && pm.customer !== customer.id) attachPaymentMethod(engine, pm, customer, false);
  }
  if (card) card.authenticated = true;
  si.status = 'succeeded';
  si.last_setup_error = null;
  delete engine.store.internal.challenges[si.id];
  emit(engine, 'setup_intent.succeeded', si);
  for (const hook of setupHooks.succeeded) hook(engine, si);
  return { status: 'succeeded' };
}

export function failSetupAuthentication(engine: Engine, si: SetupIntentObj): void {
  const pm = si.payment_method ? engine.store.get('payment_method', si.payment_method as string) : undefined;
  si.status = 'requires_payment_method';
  si.next_action = null;
  si.last_setup_error = {
    code: 'setup_intent_authentication_failure',
    doc_url: 'https://stripe.com/docs/error-codes/setup-intent-authentication-failure',
    message: AUTH_FAILED.message,
    payment_method: pm ? structuredClone(pm) : undefined,
    type: 'invalid_request_error',
  } as Stripe.SetupIntent.LastSetupError;
  si.payment_method = null;
  delete engine.store.internal.challenges[si.id];
  emit(engine, 'setup_intent.setup_failed', si);
}

function throwIfSetupFailed(engine: Engine, si: SetupIntentObj, outcome: SetupOutcome): void {
  if (outcome.status !== 'failed') return;
  throw cardError({ code: outcome.code, decline_code: outcome.decline_code, message: outcome.message, setup_intent: render(engine, si), payment_method: si.last_setup_error?.payment_method });
}

function unexpected(engine: Engine, si: SetupIntentObj, message: string): StripeApiError {
  const err = invalidRequest(message, undefined, 'setup_intent_unexpected_state');
  err.body.setup_intent = render(engine, si);
  return err;
}

const PM_DATA: Spec = S.obj({ type: S.oneOf('card'), card: CARD_SPEC, billing_details: S.any(), metadata: S.meta() });

type SetupParams = {
  customer?: string;
  payment_method?: string;
  payment_method_data?: { card?: Record<string, unknown>; metadata?: Record<string, string> };
  confirm?: boolean;
  usage?: string;
  metadata?: Record<string, string> | '';
  description?: string;
  return_url?: string;
  expand?: string[];
};

function pmFromParams(req: ApiRequest, p: SetupParams): Stripe.PaymentMethod | null {
  if (p.payment_method) return resolvePaymentMethod(req, p.payment_method, 'payment_method');
  if (p.payment_method_data?.card) {
    return paymentMethodFromCardInput(req.engine, p.payment_method_data.card, { metadata: newMetadata(p.payment_method_data.metadata) }, req.account, 'payment_method_data[card]');
  }
  return null;
}

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/setup_intents',
    handler: (req) => {
      const p = validate<SetupParams>(req.body, {
        customer: S.str(),
        payment_method: S.str(),
        payment_method_data: PM_DATA,
        payment_method_types: PAYMENT_METHOD_TYPES_REMOVED,
        allowed_payment_method_types: S.arr(S.str()),
        payment_method_options: S.any(),
        payment_method_configuration: S.str(),
        automatic_payment_methods: S.any(),
        confirm: S.bool(),
        usage: S.oneOf('off_session', 'on_session'),
        metadata: S.meta(),
        description: S.str(),
        return_url: S.str(),
        mandate_data: S.any(),
        single_use: S.any(),
        attach_to_self: S.bool(),
        flow_directions: S.any(),
        on_behalf_of: S.str(),
        use_stripe_sdk: S.bool(),
        excluded_payment_method_types: S.any(),
      });
      const { engine } = req;
      let customerId: string | null = null;
      if (p.customer) {
        const c = engine.store.scoped('customer', p.customer, req.account);
        if (!c) throw noSuch('customer', p.customer, 'customer');
        customerId = c.id;
      }
      const pm = pmFromParams(req, p);
      const si = createSetupIntent(engine, {
        customer: customerId,
        paymentMethod: pm?.id ?? null,
        metadata: newMetadata(p.metadata),
        description: p.description ?? null,
        usage: p.usage ?? 'off_session',
        account: req.account,
        clock: engine.store.clockOf(customerId),
      });
      if (p.confirm) {
        if (!pm) throw unexpected(engine, si, "You cannot confirm this SetupIntent because it's missing a payment method. You can either update the SetupIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.");
        throwIfSetupFailed(engine, si, confirmSetupIntent(engine, si, pm, { returnUrl: p.return_url ?? null, authenticated: false }));
      }
      return render(engine, si, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/setup_intents/:id',
    handler: (req) => render(req.engine, mustGet(req, 'setup_intent', req.params['id'], 'intent'), validate(req.body, { client_secret: S.str() }).expand),
  },
  {
    method: 'POST',
    path: '/v1/setup_intents/:id',
    handler: (req) => {
      const si = mustGet(req, 'setup_intent', req.params['id'], 'intent');
      const p = validate<SetupParams>(req.body, { customer: S.str(), payment_method: S.str(), metadata: S.meta(), description: S.str(), payment_method_types: PAYMENT_METHOD_TYPES_REMOVED, allowed_payment_method_types: S.arr(S.str()), excluded_payment_method_types: S.any(), payment_method_options: S.any() });
      const pm = p.payment_method ? resolvePaymentMethod(req, p.payment_method, 'payment_method') : null;
      if (p.customer) mustFind(req, 'customer', p.customer, 'customer');
      update(req.engine, 'setup_intent', si.id, (x) => {
        if (p.metadata !== undefined) x.metadata = mergeMetadata(x.metadata ?? {}, p.metadata);
        if (p.description !== undefined) x.description = p.description || null;
        if (p.customer !== undefined) x.customer = p.customer || null;
        if (pm) {
          x.payment_method = pm.id;
          if (x.status === 'requires_payment_method') x.status = 'requires_confirmation';
        }
      });
      return render(req.engine, si, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/setup_intents/:id/confirm',
    handler: (req) => {
      const si = mustGet(req, 'setup_intent', req.params['id'], 'intent');
      const p = validate<SetupParams>(req.body, {
        payment_method: S.str(),
        payment_method_data: PM_DATA,
        return_url: S.str(),
        mandate_data: S.any(),
        payment_method_options: S.any(),
        use_stripe_sdk: S.bool(),
        client_secret: S.str(),
      });
      if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(si.status)) {
        throw unexpected(req.engine, si, `You cannot confirm this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`);
      }
      const pm = pmFromParams(req, p) ?? (si.payment_method ? req.engine.store.get('payment_method', si.payment_method as string) ?? null : null);
      if (!pm) throw unexpected(req.engine, si, "You cannot confirm this SetupIntent because it's missing a payment method. You can either update the SetupIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.");
      throwIfSetupFailed(req.engine, si, confirmSetupIntent(req.engine, si, pm, { returnUrl: p.return_url ?? null, authenticated: false }));
      return render(req.engine, si, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/setup_intents/:id/cancel',
    handler: (req) => {
      const si = mustGet(req, 'setup_intent', req.params['id'], 'intent');
      const p = validate<{ cancellation_reason?: Stripe.SetupIntent.CancellationReason }>(req.body, { cancellation_reason: S.oneOf('abandoned', 'duplicate', 'requested_by_customer') });
      if (si.status === 'succeeded' || si.status === 'canceled' || si.status === 'processing') {
        throw unexpected(req.engine, si, `You cannot cancel this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one of the following statuses may be canceled: requires_payment_method, requires_confirmation, requires_action.`);
      }
      si.status = 'canceled';
      si.cancellation_reason = p.cancellation_reason ?? null;
      si.next_action = null;
      emit(req.engine, 'setup_intent.canceled', si);
      return render(req.engine, si, (p as { expand?: string[] }).expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/setup_intents',
    handler: (req) => {
      const p = validate<{ customer?: string; payment_method?: string } & Record<string, unknown>>(req.body, { ...LIST_PARAMS, customer: S.str(), payment_method: S.str(), attach_to_self: S.bool() });
      const items = req.engine.store.list('setup_intent', req.account, (x) =>
        (p.customer === undefined || x.customer === p.customer) && (p.payment_method === undefined || x.payment_method === p.payment_method),
      );
      return listResponse(req.engine, items, p, '/v1/setup_intents', 'setupintent');
    },
  },
];
