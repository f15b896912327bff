/** Customers (create/retrieve/update/delete/list/search), optionally on a test clock. */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId, randomString } from './ids.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { emit, update } from './events.ts';
import { listResponse, mustGet, render, type ApiRequest, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, newMetadata, validate, type Spec } from './params.ts';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods.ts';
import { searchResponse } from './search.ts';

const ADDRESS: Spec = S.obj({ city: S.str(), country: S.str(), line1: S.str(), line2: S.str(), postal_code: S.str(), state: S.str() }, { emptyable: true });

const FIELDS: Record<string, Spec> = {
  email: S.str({ max: 512 }),
  name: S.str({ max: 256 }),
  description: S.str({ max: 350 }),
  phone: S.str({ max: 20 }),
  metadata: S.meta(),
  address: ADDRESS,
  shipping: S.obj({ address: ADDRESS, name: S.str(), phone: S.str() }, { emptyable: true }),
  preferred_locales: S.arr(S.str(), { emptyable: true }),
  balance: S.int(),
  tax_exempt: S.oneOf('exempt', 'none', 'reverse'),
  invoice_prefix: S.str(),
  invoice_settings: S.obj({
    default_payment_method: S.str(),
    custom_fields: S.any(),
    footer: S.str(),
    rendering_options: S.any(),
  }),
  payment_method: S.str(),
  source: S.str(),
  default_source: S.str(),
  test_clock: S.str(),
  tax: S.any(),
  tax_id_data: S.any(),
  coupon: S.str(),
  promotion_code: S.str(),
  next_invoice_sequence: S.int(),
};

function emptyAddress(): Stripe.Address {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
}

function toAddress(a: unknown): Stripe.Address | null {
  if (!a || a === '') return null;
  const src = a as Record<string, string | undefined>;
  return {
    city: src['city'] ?? null,
    country: src['country'] ?? null,
    line1: src['line1'] ?? null,
    line2: src['line2'] ?? null,
    postal_code: src['postal_code'] ?? null,
    state: src['state'] ?? null,
  };
}

export function customerClock(engine: Engine, customerId: string | null | undefined): string | null {
  if (!customerId) return null;
  return engine.store.get('customer', customerId)?.test_clock as string | null ?? null;
}

/** Loads a customer of the request's account or throws Stripe's error for `param`. */
export function mustCustomer(req: ApiRequest, id: string, param = 'customer'): Stripe.Customer {
  const c = req.engine.store.scoped('customer', id, req.account);
  if (!c) throw noSuch('customer', id, param);
  return c;
}

export type NewCustomer = {
  email?: string | null;
  name?: string | null;
  metadata?: Record<string, string>;
  test_clock?: string | null;
  address?: Stripe.Address | null;
};

export function createCustomer(
  engine: Engine,
  input: NewCustomer,
  account: string | null,
  prepare?: (c: Stripe.Customer) => void,
): Stripe.Customer {
  const clock = input.test_clock ?? null;
  const customer: Stripe.Customer = {
    id: newId('cus'),
    object: 'customer',
    address: input.address ?? null,
    balance: 0,
    created: engine.now(clock),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: input.email ?? null,
    invoice_prefix: randomString(8).toUpperCase().replace(/[^A-Z0-9]/g, 'X'),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: input.metadata ?? {},
    name: input.name ?? null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: clock,
  };
  engine.store.insert('customer', customer, { account, clock });
  prepare?.(customer);
  emit(engine, 'customer.created', customer);
  return customer;
}

function applyFields(req: ApiRequest, customer: Stripe.Customer, p: Record<string, unknown>): void {
  const { engine } = req;
  const str = (k: string): string | null => {
    const v = p[k] as string;
    return v === '' ? null : v;
  };
  if (p['email'] !== undefined) customer.email = str('email');
  if (p['name'] !== undefined) customer.name = str('name');
  if (p['description'] !== undefined) customer.description = str('description');
  if (p['phone'] !== undefined) customer.phone = str('phone');
  if (p['metadata'] !== undefined) customer.metadata = mergeMetadata(customer.metadata, p['metadata'] as Record<string, string> | '');
  if (p['address'] !== undefined) customer.address = toAddress(p['address']);
  if (p['shipping'] !== undefined) {
    const s = p['shipping'] as '' | { address?: unknown; name?: string; phone?: string };
    customer.shipping = s === '' ? null : { address: toAddress(s.address) ?? emptyAddress(), name: s.name ?? '', phone: s.phone ?? null } as Stripe.Customer.Shipping;
  }
  if (p['preferred_locales'] !== undefined) customer.preferred_locales = p['preferred_locales'] === '' ? [] : (p['preferred_locales'] as string[]);
  if (p['balance'] !== undefined) customer.balance = p['balance'] as number;
  if (p['tax_exempt'] !== undefined) customer.tax_exempt = p['tax_exempt'] as Stripe.Customer.TaxExempt;
  if (p['invoice_prefix'] !== undefined) customer.invoice_prefix = p['invoice_prefix'] as string;
  if (p['next_invoice_sequence'] !== undefined) customer.next_invoice_sequence = p['next_invoice_sequence'] as number;
  const inv = p['invoice_settings'] as { default_payment_method?: string; footer?: string } | undefined;
  if (inv) {
    if (inv.default_payment_method !== undefined) {
      if (inv.default_payment_method === '') {
        customer.invoice_settings.default_payment_method = null;
      } else {
        const pm = engine.store.get('payment_method', inv.default_payment_method);
        if (!pm || pm.customer !== customer.id) {
          throw invalidRequest(
            `The customer does not have a payment method with the ID ${inv.default_payment_method}. The payment method must be attached to the customer.`,
            'invoice_settings[default_payment_method]',
            'resource_missing',
          );
        }
        customer.invoice_settings.default_payment_method = pm.id;
      }
    }
    if (inv.footer !== undefined) customer.invoice_settings.footer = inv.footer || null;
  }
}

export const customerHooks: { onDelete: (engine: Engine, customerId: string) => void } = { onDelete: () => {} };

export function deleteCustomer(engine: Engine, customer: Stripe.Customer): void {
  customerHooks.onDelete(engine, customer.id);
  emit(engine, 'customer.deleted', customer);
  engine.store.remove('customer', customer.id);
  engine.store.internal.deleted[customer.id] = 'customer';
}

function retrieveOrDeleted(req: ApiRequest): unknown {
  const id = req.params['id'] ?? '';
  const p = validate(req.body, {});
  if (req.engine.store.internal.deleted[id] === 'customer') return { id, object: 'customer', deleted: true };
  return render(req.engine, mustGet(req, 'customer', id), p.expand);
}

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/customers',
    handler: (req) => {
      const p = validate<Record<string, unknown>>(req.body, FIELDS);
      const { engine } = req;
      const clockId = p['test_clock'] as string | undefined;
      if (clockId && !engine.store.scoped('test_helpers.test_clock', clockId, req.account)) {
        throw noSuch('test_helpers.test_clock', clockId, 'test_clock');
      }
      const pmId = p['payment_method'] as string | undefined;
      const pmDefault = (p['invoice_settings'] as { default_payment_method?: string } | undefined)?.default_payment_method;
      // Resolve payment methods first: a bad one must not leave a customer behind.
      const pm = pmId ? resolvePaymentMethod(req, pmId, 'payment_method') : undefined;
      if (pmDefault && pmDefault !== pmId) {
        throw invalidRequest(
          `The customer does not have a payment method with the ID ${pmDefault}. The payment method must be attached to the customer.`,
          'invoice_settings[default_payment_method]',
          'resource_missing',
        );
      }
      const customer = createCustomer(
        engine,
        { test_clock: clockId ?? null, metadata: newMetadata(p['metadata'] as Record<string, string> | undefined) },
        req.account,
        (c) => {
          applyFields(req, c, { ...p, invoice_settings: undefined, metadata: undefined });
          if (pm && pmDefault) c.invoice_settings.default_payment_method = pm.id;
        },
      );
      if (pm) attachPaymentMethod(engine, pm, customer, false);
      return render(engine, customer, p.expand);
    },
  },
  { method: 'GET', path: '/v1/customers/search', handler: (req) => searchResponse(req, 'customer', '/v1/customers/search') },
  { method: 'GET', path: '/v1/customers/:id', handler: retrieveOrDeleted },
  {
    method: 'POST',
    path: '/v1/customers/:id',
    handler: (req) => {
      const customer = mustGet(req, 'customer', req.params['id']);
      const p = validate<Record<string, unknown>>(req.body, { ...FIELDS, test_clock: undefined as never });
      const pmId = p['payment_method'] as string | undefined;
      if (pmId) {
        const pm = resolvePaymentMethod(req, pmId, 'payment_method');
        attachPaymentMethod(req.engine, pm, customer);
      }
      update(req.engine, 'customer', customer.id, (c) => applyFields(req, c, p));
      return render(req.engine, customer, p.expand);
    },
  },
  {
    method: 'DELETE',
    path: '/v1/customers/:id',
    handler: (req) => {
      const customer = mustGet(req, 'customer', req.params['id']);
      deleteCustomer(req.engine, customer);
      return { id: customer.id, object: 'customer', deleted: true };
    },
  },
  {
    method: 'GET',
    path: '/v1/customers',
    handler: (req) => {
      const p = validate<{ email?: string; test_clock?: string } & Record<string, unknown>>(req.body, {
        ...LIST_PARAMS,
        email: S.str(),
        test_clock: S.str(),
      });
      const items = req.engine.store.list('customer', req.account, (c) =>
        (p.email === undefined || c.email === p.email) && (p.test_clock === undefined || c.test_clock === p.test_clock),
      );
      return listResponse(req.engine, items, p, '/v1/customers', 'customer');
    },
  },
];

