/** Products and prices (one-off and recurring). */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { emit, update } from './events.ts';
import { listResponse, mustGet, render, type ApiRequest, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, newMetadata, validate, type Spec } from './params.ts';
import type { ProductObj } from './types.ts';
import { searchResponse } from './search.ts';

const RECURRING: Spec = S.obj({
  interval: S.req(S.oneOf('day', 'week', 'month', 'year')),
  interval_count: S.int({ min: 1 }),
  usage_type: S.oneOf('licensed', 'metered'),
  meter: S.str(),
  trial_period_days: S.int(),
});

export const PRICE_DATA: Spec = S.obj({
  currency: S.req(S.str()),
  unit_amount: S.int({ min: 0 }),
  unit_amount_decimal: S.str(),
  product: S.str(),
  product_data: S.obj({ name: S.req(S.str()), metadata: S.meta(), description: S.str(), images: S.arr(S.str()), tax_code: S.str(), unit_label: S.str() }),
  recurring: RECURRING,
  tax_behavior: S.oneOf('exclusive', 'inclusive', 'unspecified'),
  metadata: S.meta(),
});

export type PriceInput = {
  currency: string;
  unit_amount?: number;
  unit_amount_decimal?: string;
  product?: string;
  product_data?: { name: string; metadata?: Record<string, string>; description?: string; images?: string[]; tax_code?: string; unit_label?: string };
  recurring?: { interval: Stripe.Price.Recurring.Interval; interval_count?: number; usage_type?: Stripe.Price.Recurring.UsageType; trial_period_days?: number };
  tax_behavior?: Stripe.Price.TaxBehavior;
  metadata?: Record<string, string> | '';
  lookup_key?: string;
  transfer_lookup_key?: boolean;
  nickname?: string;
  active?: boolean;
};

/** The SDK turns `*_decimal` strings into Decimal objects client-side; on the wire they are strings. */
export function asDecimal(value: string): NonNullable<Stripe.Price['unit_amount_decimal']> {
  return value as unknown as NonNullable<Stripe.Price['unit_amount_decimal']>;
}

export function createProduct(
  engine: Engine,
  input: { id?: string; name: string; description?: string | null; metadata?: Record<string, string>; images?: string[]; active?: boolean; unit_label?: string | null; url?: string | null; statement_descriptor?: string | null; tax_code?: string | null },
  account: string | null,
): ProductObj {
  const now = engine.now();
  const product: ProductObj = {
    id: input.id ?? newId('prod'),
    object: 'product',
    active: input.active ?? true,
    created: now,
    default_price: null,
    description: input.description ?? null,
    images: input.images ?? [],
    livemode: false,
    marketing_features: [],
    metadata: input.metadata ?? {},
    name: input.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: input.statement_descriptor ?? null,
    tax_code: input.tax_code ?? null,
    unit_label: input.unit_label ?? null,
    updated: now,
    url: input.url ?? null,
    type: 'service',
  };
  engine.store.insert('product', product, { account });
  emit(engine, 'product.created', product);
  return product;
}

function normalizeCurrency(c: string, param: string): string {
  const lc = c.toLowerCase();
  if (!/^[a-z]{3}$/.test(lc)) throw invalidRequest(`Invalid currency: ${c}. Stripe currently supports these currencies: usd, eur, gbp, …`, param);
  return lc;
}

/** Creates a price (also used for `price_data` in checkout and subscriptions, then inactive & hidden). */
export function createPrice(req: ApiRequest, input: PriceInput, paramPrefix = '', inline = false): Stripe.Price {
  const { engine } = req;
  const param = (k: string): string => (paramPrefix ? `${paramPrefix}[${k}]` : k);
  if (input.unit_amount === undefined && input.unit_amount_decimal === undefined) {
    throw invalidRequest('Missing required param: unit_amount.', param('unit_amount'), 'parameter_missing');
  }
  let productId = input.product;
  if (productId) {
    if (!engine.store.scoped('product', productId, req.account)) throw noSuch('product', productId, param('product'));
  } else if (input.product_data) {
    productId = createProduct(engine, {
      name: input.product_data.name,
      metadata: newMetadata(input.product_data.metadata),
      description: input.product_data.description ?? null,
      images: input.product_data.images,
      unit_label: input.product_data.unit_label ?? null,
      tax_code: input.product_data.tax_code ?? null,
    }, req.account).id;
  } else {
    throw invalidRequest('Missing required param: product.', param('product'), 'parameter_missing');
  }
  if (input.lookup_key) {
    const holder = engine.store.list('price', req.account, (pr) => pr.lookup_key === input.lookup_key)[0];
    if (holder) {
      if (!input.transfer_lookup_key) {
        throw invalidRequest(`A price (\`${holder.id}\`) already uses that lookup key.`, param('lookup_key'), 'lookup_key_exists');
      }
      update(engine, 'price', holder.id, (pr) => {
        pr.lookup_key = null;
      });
    }
  }
  const unitAmount = input.unit_amount ?? Math.round(Number(input.unit_amount_decimal));
  const price: Stripe.Price = {
    id: newId('price'),
    object: 'price',
    active: inline ? false : (input.active ?? true),
    billing_scheme: 'per_unit',
    created: engine.now(),
    currency: normalizeCurrency(input.currency, param('currency')),
    custom_unit_amount: null,
    livemode: false,
    lookup_key: input.lookup_key ?? null,
    metadata: newMetadata(input.metadata),
    nickname: input.nickname ?? null,
    product: productId,
    recurring: input.recurring
      ? {
          interval: input.recurring.interval,
          interval_count: input.recurring.interval_count ?? 1,
          meter: null,
          usage_type: input.recurring.usage_type ?? 'licensed',
          trial_period_days: input.recurring.trial_period_days ?? null,
        }
      : null,
    tax_behavior: input.tax_behavior ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: input.recurring ? 'recurring' : 'one_time',
    unit_amount: unitAmount,
    unit_amount_decimal: asDecimal(String(unitAmount)),
  };
  engine.store.insert('price', price, { account: req.account });
  if (inline) engine.store.internal.deleted[`inline:${price.id}`] = 'price';
  if (!inline) {
    emit(engine, 'price.created', price);
    const product = engine.store.get('product', productId);
    if (product && !product.default_price && !input.product) {
      product.default_price = price.id;
    }
  }
  return price;
}

/** Stripe's legacy `plan` view of a recurring price (embedded in subscription items). */
export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.interval_count ?? 1,
    livemode: false,
    metadata: price.metadata,
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: price.recurring?.trial_period_days ?? null,
    usage_type: price.recurring?.usage_type ?? 'licensed',
  };
}

export function mustPrice(req: ApiRequest, id: string, param: string): Stripe.Price {
  const price = req.engine.store.scoped('price', id, req.account);
  if (!price) throw noSuch('price', id, param);
  return price;
}

const PRODUCT_FIELDS: Record<string, Spec> = {
  id: S.str(),
  name: S.str({ max: 250 }),
  active: S.bool(),
  description: S.str(),
  metadata: S.meta(),
  images: S.arr(S.str(), { emptyable: true }),
  marketing_features: S.any(),
  statement_descriptor: S.str({ max: 22 }),
  tax_code: S.str(),
  unit_label: S.str(),
  url: S.str(),
  shippable: S.bool(),
  package_dimensions: S.any(),
  default_price_data: S.obj({
    currency: S.req(S.str()),
    unit_amount: S.int({ min: 0 }),
    unit_amount_decimal: S.str(),
    recurring: RECURRING,
    tax_behavior: S.oneOf('exclusive', 'inclusive', 'unspecified'),
    metadata: S.meta(),
  }),
  default_price: S.str(),
  type: S.oneOf('good', 'service'),
};

const PRICE_FIELDS: Record<string, Spec> = {
  currency: S.str(),
  unit_amount: S.int({ min: 0 }),
  unit_amount_decimal: S.str(),
  product: S.str(),
  product_data: S.obj({ name: S.req(S.str()), metadata: S.meta(), active: S.bool(), statement_descriptor: S.str(), tax_code: S.str(), unit_label: S.str(), id: S.str() }),
  recurring: RECURRING,
  lookup_key: S.str({ max: 200 }),
  transfer_lookup_key: S.bool(),
  nickname: S.str(),
  metadata: S.meta(),
  active: S.bool(),
  tax_behavior: S.oneOf('exclusive', 'inclusive', 'unspecified'),
  billing_scheme: S.oneOf('per_unit', 'tiered'),
  currency_options: S.any(),
};

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/products',
    handler: (req) => {
      const p = validate<Stripe.ProductCreateParams>(req.body, { ...PRODUCT_FIELDS, name: S.req(S.str({ max: 250 })), default_price: undefined as never });
      if (p.id && (req.engine.store.get('product', p.id) || req.engine.store.internal.deleted[p.id])) {
        throw invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
      }
      const product = createProduct(req.engine, {
        id: p.id,
        name: p.name,
        description: p.description ?? null,
        metadata: newMetadata(p.metadata),
        images: p.images as string[] | undefined,
        active: p.active,
        unit_label: p.unit_label ?? null,
        url: p.url ?? null,
        statement_descriptor: p.statement_descriptor ?? null,
        tax_code: p.tax_code ?? null,
      }, req.account);
      if (p.default_price_data) {
        const d = p.default_price_data;
        const price = createPrice(req, { ...(d as PriceInput), product: product.id }, 'default_price_data');
        product.default_price = price.id;
      }
      return render(req.engine, product, p.expand);
    },
  },
  { method: 'GET', path: '/v1/products/search', handler: (req) => searchResponse(req, 'product', '/v1/products/search') },
  {
    method: 'GET',
    path: '/v1/products/:id',
    handler: (req) => {
      const id = req.params['id'] ?? '';
      const p = validate(req.body, {});
      if (req.engine.store.internal.deleted[id] === 'product') return { id, object: 'product', deleted: true };
      return render(req.engine, mustGet(req, 'product', id), p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/products/:id',
    handler: (req) => {
      const product = mustGet(req, 'product', req.params['id']);
      const p = validate<Stripe.ProductUpdateParams>(req.body, { ...PRODUCT_FIELDS, id: undefined as never, default_price_data: undefined as never });
      if (p.default_price) mustPrice(req, p.default_price, 'default_price');
      update(req.engine, 'product', product.id, (pr) => {
        if (p.name !== undefined) pr.name = p.name;
        if (p.active !== undefined) pr.active = p.active;
        if (p.description !== undefined) pr.description = p.description || null;
        if (p.metadata !== undefined) pr.metadata = mergeMetadata(pr.metadata, p.metadata);
        if (p.images !== undefined) pr.images = p.images === '' ? [] : (p.images as string[]);
        if (p.unit_label !== undefined) pr.unit_label = p.unit_label || null;
        if (p.url !== undefined) pr.url = p.url || null;
        if (p.statement_descriptor !== undefined) pr.statement_descriptor = p.statement_descriptor || null;
        if (p.default_price !== undefined) pr.default_price = p.default_price || null;
        pr.updated = req.engine.now();
      });
      return render(req.engine, product, p.expand);
    },
  },
  {
    method: 'DELETE',
    path: '/v1/products/:id',
    handler: (req) => {
      const product = mustGet(req, 'product', req.params['id']);
      if (req.engine.store.list('price', req.account, (pr) => pr.product === product.id).length > 0) {
        throw invalidRequest('This product cannot be deleted because it has one or more user-created prices.', undefined, 'product_has_prices');
      }
      emit(req.engine, 'product.deleted', product);
      req.engine.store.remove('product', product.id);
      req.engine.store.internal.deleted[product.id] = 'product';
      return { id: product.id, object: 'product', deleted: true };
    },
  },
  {
    method: 'GET',
    path: '/v1/products',
    handler: (req) => {
      const p = validate<{ active?: boolean; ids?: string[]; shippable?: boolean } & Record<string, unknown>>(req.body, {
        ...LIST_PARAMS,
        active: S.bool(),
        ids: S.arr(S.str()),
        shippable: S.bool(),
        url: S.str(),
      });
      const items = req.engine.store.list('product', req.account, (pr) =>
        (p.active === undefined || pr.active === p.active) && (!p.ids || p.ids.includes(pr.id)),
      );
      return listResponse(req.engine, items, p, '/v1/products', 'product');
    },
  },
  {
    method: 'POST',
    path: '/v1/prices',
    handler: (req) => {
      const p = validate<PriceInput & { expand?: string[] }>(req.body, { ...PRICE_FIELDS, currency: S.req(S.str()) });
      const price = createPrice(req, p);
      return render(req.engine, price, p.expand);
    },
  },
  { method: 'GET', path: '/v1/prices/search', handler: (req) => searchResponse(req, 'price', '/v1/prices/search') },
  { method: 'GET', path: '/v1/prices/:id', handler: (req) => render(req.engine, mustGet(req, 'price', req.params['id']), validate(req.body, {}).expand) },
  {
    method: 'POST',
    path: '/v1/prices/:id',
    handler: (req) => {
      const price = mustGet(req, 'price', req.params['id']);
      const p = validate<Stripe.PriceUpdateParams>(req.body, {
        active: S.bool(),
        metadata: S.meta(),
        nickname: S.str(),
        lookup_key: S.str({ max: 200 }),
        transfer_lookup_key: S.bool(),
        tax_behavior: S.oneOf('exclusive', 'inclusive', 'unspecified'),
        currency_options: S.any(),
      });
      if (p.lookup_key) {
        const holder = req.engine.store.list('price', req.account, (pr) => pr.lookup_key === p.lookup_key && pr.id !== price.id)[0];
        if (holder) {
          if (!p.transfer_lookup_key) throw invalidRequest(`A price (\`${holder.id}\`) already uses that lookup key.`, 'lookup_key', 'lookup_key_exists');
          update(req.engine, 'price', holder.id, (pr) => {
            pr.lookup_key = null;
          });
        }
      }
      update(req.engine, 'price', price.id, (pr) => {
        if (p.active !== undefined) pr.active = p.active;
        if (p.metadata !== undefined) pr.metadata = mergeMetadata(pr.metadata, p.metadata);
        if (p.nickname !== undefined) pr.nickname = p.nickname || null;
        if (p.lookup_key !== undefined) pr.lookup_key = p.lookup_key || null;
        if (p.tax_behavior !== undefined) pr.tax_behavior = p.tax_behavior;
      });
      return render(req.engine, price, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/prices',
    handler: (req) => {
      const p = validate<{ active?: boolean; currency?: string; product?: string; type?: string; lookup_keys?: string[]; recurring?: { interval?: string } } & Record<string, unknown>>(req.body, {
        ...LIST_PARAMS,
        active: S.bool(),
        currency: S.str(),
        product: S.str(),
        type: S.oneOf('one_time', 'recurring'),
        lookup_keys: S.arr(S.str()),
        recurring: S.obj({ interval: S.oneOf('day', 'week', 'month', 'year'), meter: S.str(), usage_type: S.oneOf('licensed', 'metered') }),
      });
      const items = req.engine.store.list('price', req.account, (pr) => {
        if (p.active !== undefined && pr.active !== p.active) return false;
        if (p.currency !== undefined && pr.currency !== p.currency.toLowerCase()) return false;
        if (p.product !== undefined && pr.product !== p.product) return false;
        if (p.type !== undefined && pr.type !== p.type) return false;
        if (p.lookup_keys && !(pr.lookup_key && p.lookup_keys.includes(pr.lookup_key))) return false;
        if (p.recurring?.interval && pr.recurring?.interval !== p.recurring.interval) return false;
        // prices created inline (price_data) are not listed
        if (!pr.active && req.engine.store.internal.deleted[`inline:${pr.id}`]) return false;
        return true;
      });
      return listResponse(req.engine, items, p, '/v1/prices', 'price');
    },
  },
];
