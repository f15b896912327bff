/** Card payment methods: test card numbers and `pm_card_*` tokens; attach, detach, list. */
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { cardError, invalidRequest, noSuch } from './errors.ts';
import { emit, update } from './events.ts';
import { listResponse, mustGet, render, type ApiRequest, type ListParams, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, newMetadata, validate, type Spec } from './params.ts';
import { cardFor, cardForToken, declineFor, failsOnAttach, type TestCard } from './cards.ts';
import type { CardInternal } from './types.ts';

const BILLING_DETAILS: Spec = S.obj({
  address: S.obj({ city: S.str(), country: S.str(), line1: S.str(), line2: S.str(), postal_code: S.str(), state: S.str() }, { emptyable: true }),
  email: S.str(),
  name: S.str(),
  phone: S.str(),
  tax_id: S.str(),
});

export const CARD_SPEC: Spec = S.obj({ number: S.str(), exp_month: S.int(), exp_year: S.int(), cvc: S.str(), token: S.str(), networks: S.any() });

type BillingInput = { address?: '' | Record<string, string | null>; email?: string; name?: string; phone?: string; tax_id?: string };

function billingDetails(input?: BillingInput): Stripe.PaymentMethod.BillingDetails {
  const a = typeof input?.address === 'object' ? input.address : undefined;
  return {
    address: {
      city: a?.['city'] ?? null,
      country: a?.['country'] ?? null,
      line1: a?.['line1'] ?? null,
      line2: a?.['line2'] ?? null,
      postal_code: a?.['postal_code'] ?? null,
      state: a?.['state'] ?? null,
    },
    email: input?.email || null,
    name: input?.name || null,
    phone: input?.phone || null,
    tax_id: input?.tax_id || null,
  };
}

function fingerprint(number: string): string {
  return createHash('sha256').update(`sandbox-card:${number}`).digest('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 16);
}

export function cardInternal(engine: Engine, pmId: string): CardInternal | undefined {
  return engine.store.internal.cards[pmId];
}

export function createCardPaymentMethod(
  engine: Engine,
  card: TestCard,
  opts: { exp_month?: number; exp_year?: number; cvc?: string; billing_details?: BillingInput; metadata?: Record<string, string>; allow_redisplay?: Stripe.PaymentMethod.AllowRedisplay },
  account: string | null,
  clock: string | null = null,
): Stripe.PaymentMethod {
  const year = new Date(engine.now(clock) * 1000).getUTCFullYear();
  const pm: Stripe.PaymentMethod = {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: opts.allow_redisplay ?? 'unspecified',
    billing_details: billingDetails(opts.billing_details),
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: opts.cvc ? 'pass' : null },
      country: card.country,
      display_brand: card.brand === 'amex' ? 'american_express' : card.brand,
      exp_month: opts.exp_month ?? 12,
      exp_year: opts.exp_year ?? year + 3,
      fingerprint: fingerprint(card.number),
      funding: card.funding,
      generated_from: null,
      last4: card.number.slice(-4),
      networks: { available: [card.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
      regulated_status: 'unregulated',
    },
    created: engine.now(clock),
    customer: null,
    livemode: false,
    metadata: opts.metadata ?? {},
    type: 'card',
    customer_account: null,
  };
  engine.store.insert('payment_method', pm, { account, clock });
  engine.store.internal.cards[pm.id] = { number: card.number, scenario: card.scenario, authenticated: false };
  return pm;
}

function incorrectNumber(param: string): Error {
  return cardError({ code: 'incorrect_number', message: 'Your card number is incorrect.', param });
}

/** A payment method id or a test token (`pm_card_visa` creates a new PaymentMethod each time). */
export function resolvePaymentMethod(req: ApiRequest, idOrToken: string, param: string): Stripe.PaymentMethod {
  const card = cardForToken(idOrToken);
  if (card) return createCardPaymentMethod(req.engine, card, {}, req.account);
  if (/^(pm_card_|tok_)/.test(idOrToken)) throw noSuch('PaymentMethod', idOrToken, param);
  const pm = req.engine.store.scoped('payment_method', idOrToken, req.account);
  if (!pm) throw noSuch('PaymentMethod', idOrToken, param);
  return pm;
}

/** Builds a card payment method from `payment_method_data` / form input. */
export function paymentMethodFromCardInput(
  engine: Engine,
  input: { number?: string; exp_month?: number; exp_year?: number; cvc?: string; token?: string },
  extra: { billing_details?: BillingInput; metadata?: Record<string, string> },
  account: string | null,
  paramPrefix: string,
  clock: string | null = null,
): Stripe.PaymentMethod {
  let card: TestCard | null = null;
  if (input.token) {
    card = cardForToken(input.token);
    if (!card) throw noSuch('token', input.token, `${paramPrefix}[token]`);
  } else {
    if (!input.number) throw invalidRequest('Missing required param: card[number].', `${paramPrefix}[number]`, 'parameter_missing');
    card = cardFor(input.number);
    if (!card) throw incorrectNumber(`${paramPrefix}[number]`);
    if (input.exp_month === undefined) throw invalidRequest('Missing required param: card[exp_month].', `${paramPrefix}[exp_month]`, 'parameter_missing');
    if (input.exp_year === undefined) throw invalidRequest('Missing required param: card[exp_year].', `${paramPrefix}[exp_year]`, 'parameter_missing');
    if (input.exp_month < 1 || input.exp_month > 12) {
      throw cardError({ code: 'invalid_expiry_month', message: "Your card's expiration month is invalid.", param: `${paramPrefix}[exp_month]` });
    }
    const year = input.exp_year < 100 ? 2000 + input.exp_year : input.exp_year;
    const now = new Date(engine.now(clock) * 1000);
    if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && input.exp_month < now.getUTCMonth() + 1)) {
      throw cardError({ code: 'invalid_expiry_year', message: "Your card's expiration year is invalid.", param: `${paramPrefix}[exp_year]` });
    }
    input = { ...input, exp_year: year };
  }
  return createCardPaymentMethod(engine, card, { exp_month: input.exp_month, exp_year: input.exp_year, cvc: input.cvc, ...extra }, account, clock);
}

/** Attaches `pm` to `customer` (a card check declines decline cards, like Stripe). */
export function attachPaymentMethod(engine: Engine, pm: Stripe.PaymentMethod, customer: Stripe.Customer, check = true): void {
  if (pm.customer === customer.id) return;
  if (pm.customer) {
    throw invalidRequest('The payment method you provided has already been attached to a customer.', 'payment_method', 'payment_method_unexpected_state');
  }
  const internal = engine.store.internal.cards[pm.id];
  if (check && internal && failsOnAttach(internal.scenario)) {
    const d = declineFor(internal.scenario);
    throw cardError({ code: d?.code ?? 'card_declined', decline_code: d?.decline_code, message: d?.message ?? 'Your card was declined.', param: '' });
  }
  pm.customer = customer.id;
  const meta = engine.store.meta(pm.id);
  if (meta && customer.test_clock) meta.clock = customer.test_clock as string;
  emit(engine, 'payment_method.attached', pm);
}

export function detachPaymentMethod(engine: Engine, pm: Stripe.PaymentMethod): void {
  const customerId = pm.customer as string | null;
  if (!customerId) {
    throw invalidRequest('The payment method you provided is not attached to a customer so detachment is impossible.', undefined, 'payment_method_unexpected_state');
  }
  const previous = { customer: customerId };
  pm.customer = null;
  emit(engine, 'payment_method.detached', pm, { previous });
  const customer = engine.store.get('customer', customerId);
  if (customer && customer.invoice_settings.default_payment_method === pm.id) {
    update(engine, 'customer', customer.id, (c) => {
      c.invoice_settings.default_payment_method = null;
    });
  }
}

const CREATE_FIELDS: Record<string, Spec> = {
  type: S.oneOf('card'),
  card: CARD_SPEC,
  billing_details: BILLING_DETAILS,
  metadata: S.meta(),
  allow_redisplay: S.oneOf('always', 'limited', 'unspecified'),
  customer: S.str(),
  payment_method: S.str(),
};

function listFor(req: ApiRequest, customerId: string | undefined, p: { type?: string } & ListParams, url: string): unknown {
  const items = req.engine.store.list('payment_method', req.account, (pm) =>
    (customerId === undefined || pm.customer === customerId) && (p.type === undefined || pm.type === p.type),
  );
  return listResponse(req.engine, items, p, url, 'PaymentMethod');
}

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/payment_methods',
    handler: (req) => {
      const p = validate<{ type?: string; card?: Record<string, unknown>; billing_details?: BillingInput; metadata?: Record<string, string>; allow_redisplay?: Stripe.PaymentMethod.AllowRedisplay; customer?: string; payment_method?: string }>(req.body, CREATE_FIELDS);
      if (p.payment_method) {
        // cloning a platform payment method onto a connected account
        const source = req.engine.store.get('payment_method', p.payment_method);
        if (!source) throw noSuch('PaymentMethod', p.payment_method, 'payment_method');
        const internal = req.engine.store.internal.cards[source.id];
        const card = internal ? cardFor(internal.number) : null;
        if (!card) throw noSuch('PaymentMethod', p.payment_method, 'payment_method');
        return render(req.engine, createCardPaymentMethod(req.engine, card, { exp_month: source.card?.exp_month, exp_year: source.card?.exp_year }, req.account), p.expand);
      }
      if (!p.type) throw invalidRequest('Missing required param: type.', 'type', 'parameter_missing');
      if (!p.card) throw invalidRequest('Missing required param: card.', 'card', 'parameter_missing');
      const pm = paymentMethodFromCardInput(req.engine, p.card, { billing_details: p.billing_details, metadata: newMetadata(p.metadata) }, req.account, 'card');
      if (p.allow_redisplay) pm.allow_redisplay = p.allow_redisplay;
      return render(req.engine, pm, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/payment_methods/:id',
    handler: (req) => {
      const p = validate(req.body, {});
      const pm = resolvePaymentMethod(req, req.params['id'] ?? '', 'payment_method');
      return render(req.engine, pm, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_methods/:id',
    handler: (req) => {
      const pm = mustGet(req, 'payment_method', req.params['id'], 'payment_method');
      const p = validate<{ billing_details?: BillingInput; metadata?: Record<string, string> | ''; card?: { exp_month?: number; exp_year?: number }; allow_redisplay?: Stripe.PaymentMethod.AllowRedisplay }>(req.body, {
        billing_details: BILLING_DETAILS,
        metadata: S.meta(),
        card: S.obj({ exp_month: S.int(), exp_year: S.int(), networks: S.any() }),
        allow_redisplay: S.oneOf('always', 'limited', 'unspecified'),
      });
      update(req.engine, 'payment_method', pm.id, (m) => {
        if (p.billing_details) m.billing_details = billingDetails({ ...m.billing_details, ...p.billing_details } as BillingInput);
        if (p.metadata !== undefined) m.metadata = mergeMetadata(m.metadata, p.metadata);
        if (p.card && m.card) {
          if (p.card.exp_month !== undefined) m.card.exp_month = p.card.exp_month;
          if (p.card.exp_year !== undefined) m.card.exp_year = p.card.exp_year;
        }
        if (p.allow_redisplay) m.allow_redisplay = p.allow_redisplay;
      });
      return render(req.engine, pm, (p as { expand?: string[] }).expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_methods/:id/attach',
    handler: (req) => {
      const p = validate<{ customer: string }>(req.body, { customer: S.req(S.str()) });
      const pm = resolvePaymentMethod(req, req.params['id'] ?? '', 'payment_method');
      const customer = req.engine.store.scoped('customer', p.customer, req.account);
      if (!customer) throw noSuch('customer', p.customer, 'customer');
      attachPaymentMethod(req.engine, pm, customer);
      return render(req.engine, pm, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_methods/:id/detach',
    handler: (req) => {
      const p = validate(req.body, {});
      const pm = mustGet(req, 'payment_method', req.params['id'], 'payment_method');
      detachPaymentMethod(req.engine, pm);
      return render(req.engine, pm, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/payment_methods',
    handler: (req) => {
      const p = validate<{ customer?: string; type?: string } & ListParams>(req.body, { ...LIST_PARAMS, customer: S.str(), type: S.str(), allow_redisplay: S.str() });
      if (p.customer && !req.engine.store.scoped('customer', p.customer, req.account)) throw noSuch('customer', p.customer, 'customer');
      return listFor(req, p.customer, p, '/v1/payment_methods');
    },
  },
  {
    method: 'GET',
    path: '/v1/customers/:id/payment_methods',
    handler: (req) => {
      const customer = mustGet(req, 'customer', req.params['id']);
      const p = validate<{ type?: string } & ListParams>(req.body, { ...LIST_PARAMS, type: S.str(), allow_redisplay: S.str() });
      return listFor(req, customer.id, p, `/v1/customers/${customer.id}/payment_methods`);
    },
  },
  {
    method: 'GET',
    path: '/v1/customers/:id/payment_methods/:pm',
    handler: (req) => {
      const customer = mustGet(req, 'customer', req.params['id']);
      const pm = req.engine.store.scoped('payment_method', req.params['pm'], req.account);
      if (!pm || pm.customer !== customer.id) throw noSuch('PaymentMethod', req.params['pm'] ?? '', 'payment_method');
      return render(req.engine, pm, validate(req.body, {}).expand);
    },
  },
];
