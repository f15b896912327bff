/**
 * Shared pieces of the API layer: route and request types, rendering of objects (presenters +
 * expansion) and Stripe-style list pagination.
 */
import type { Engine } from './engine.ts';
import { clone } from './engine.ts';
import type { FormObject } from './form.ts';
import { invalidRequest, noSuch } from './errors.ts';
import type { Kind, Kinds, ListObj } from './types.ts';

export type ApiRequest = {
  engine: Engine;
  method: string;
  path: string;
  /** Path parameters (`:id`). */
  params: Record<string, string>;
  /** Form (or query string) parameters. */
  body: FormObject;
  account: string | null;
  requestId: string;
  idempotencyKey: string | null;
};

export type ApiResponse = { status?: number; body: unknown };

export type Route = {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  handler: (req: ApiRequest) => unknown;
};

export type PageRequest = {
  engine: Engine;
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  form: FormObject;
};

export type PageResult = {
  status?: number;
  html?: string;
  redirect?: string;
  contentType?: string;
  body?: string | Buffer;
};

export type PageRoute = {
  method: 'GET' | 'POST';
  path: string;
  handler: (req: PageRequest) => PageResult;
};

/** Human nouns for error messages (`No such customer: 'cus_x'`). */
export const NOUNS: Record<Kind, string> = {
  customer: 'customer',
  product: 'product',
  price: 'price',
  payment_method: 'PaymentMethod',
  setup_intent: 'setupintent',
  payment_intent: 'payment_intent',
  charge: 'charge',
  balance_transaction: 'balance transaction',
  refund: 'refund',
  dispute: 'dispute',
  'checkout.session': 'checkout.session',
  subscription: 'subscription',
  invoice: 'invoice',
  invoiceitem: 'invoiceitem',
  invoice_payment: 'invoice payment',
  'test_helpers.test_clock': 'test_helpers.test_clock',
  'billing_portal.session': 'billing_portal.session',
  account: 'account',
  transfer: 'transfer',
  transfer_reversal: 'transfer reversal',
  payout: 'payout',
  event: 'event',
  webhook_endpoint: 'webhook endpoint',
};

/** Loads an object of the request's account or throws Stripe's 404. */
export function mustGet<K extends Kind>(req: ApiRequest, kind: K, id: string | undefined, param = 'id'): Kinds[K] {
  const obj = id ? req.engine.store.scoped(kind, id, req.account) : undefined;
  if (!obj) throw noSuch(NOUNS[kind], id ?? '', param, 404);
  return obj;
}

/** Loads an object named by a body parameter (400 resource_missing when absent). */
export function mustFind<K extends Kind>(req: ApiRequest, kind: K, id: string, param: string): Kinds[K] {
  const obj = req.engine.store.scoped(kind, id, req.account);
  if (!obj) throw noSuch(NOUNS[kind], id, param, 400);
  return obj;
}

// ---------------------------------------------------------------------------------------------
// Presenters: per-kind adjustments made when an object is rendered (computed fields).

type Presenter = (engine: Engine, obj: Record<string, unknown>) => void;
const presenters: Partial<Record<Kind, Presenter>> = {};

export function registerPresenter(kind: Kind, fn: Presenter): void {
  presenters[kind] = fn;
}

/** Includable fields that are absent unless expanded (e.g. `invoice.payments`). */
type Includable = (engine: Engine, obj: Record<string, unknown>) => unknown;
const includables: Record<string, Includable> = {};

export function registerIncludable(kind: Kind, field: string, fn: Includable): void {
  includables[`${kind}.${field}`] = fn;
}

function kindOfObject(engine: Engine, obj: Record<string, unknown>): Kind | undefined {
  const id = obj['id'];
  if (typeof id === 'string') {
    const k = engine.store.kindOf(id);
    if (k) return k;
  }
  return undefined;
}

/** A deep copy of a stored object as the API shows it. */
export function present<T>(engine: Engine, obj: T): T {
  const copy = clone(obj) as Record<string, unknown>;
  const kind = kindOfObject(engine, copy);
  if (kind) presenters[kind]?.(engine, copy);
  return copy as T;
}

function lookupById(engine: Engine, id: string): unknown {
  const kind = engine.store.kindOf(id);
  if (!kind) return undefined;
  const obj = engine.store.get(kind, id);
  return obj ? present(engine, obj) : undefined;
}

function expandPath(engine: Engine, value: unknown, segments: string[], full: string): unknown {
  if (segments.length === 0 || value === null || value === undefined) return value;
  const [head, ...rest] = segments as [string, ...string[]];
  if (typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if (obj['object'] === 'list' && head === 'data' && Array.isArray(obj['data'])) {
    obj['data'] = (obj['data'] as unknown[]).map((item) => expandPath(engine, item, rest, full));
    return obj;
  }
  let field = obj[head];
  if (field === undefined) {
    const kind = kindOfObject(engine, obj);
    const inc = kind ? includables[`${kind}.${head}`] : undefined;
    if (!inc) throw invalidRequest(`This property cannot be expanded (${head}).`, 'expand');
    field = inc(engine, obj);
  } else if (typeof field === 'string') {
    const found = lookupById(engine, field);
    if (found === undefined) throw invalidRequest(`This property cannot be expanded (${head}).`, 'expand');
    field = found;
  }
  obj[head] = expandPath(engine, field, rest, full);
  return obj;
}

/** Presents an object and applies `expand[]` paths. */
export function render<T>(engine: Engine, obj: T, expand?: string[]): T {
  let out: unknown = present(engine, obj);
  for (const path of expand ?? []) {
    const segments = path.split('.');
    if (segments.length > 4) throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`, 'expand');
    out = expandPath(engine, out, segments, path);
  }
  return out as T;
}

// ---------------------------------------------------------------------------------------------
// Lists

export type ListParams = {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
  created?: number | { gt?: number; gte?: number; lt?: number; lte?: number };
  expand?: string[];
};

export function inRange(value: number, range: ListParams['created']): boolean {
  if (range === undefined) return true;
  if (typeof range === 'number') return value === range;
  if (range.gt !== undefined && !(value > range.gt)) return false;
  if (range.gte !== undefined && !(value >= range.gte)) return false;
  if (range.lt !== undefined && !(value < range.lt)) return false;
  if (range.lte !== undefined && !(value <= range.lte)) return false;
  return true;
}

/** Paginates newest-first `items` like Stripe and renders each with `expand` (`data.x`). */
export function listResponse<T extends { id: string }>(
  engine: Engine,
  items: T[],
  params: ListParams,
  url: string,
  noun = 'object',
): ListObj<T> {
  const limit = params.limit ?? 10;
  let filtered = items;
  if (params.created !== undefined) {
    filtered = filtered.filter((o) => inRange((o as unknown as { created: number }).created, params.created));
  }
  let page: T[];
  let hasMore: boolean;
  if (params.starting_after) {
    const idx = filtered.findIndex((o) => o.id === params.starting_after);
    if (idx === -1) throw noSuch(noun, params.starting_after, 'starting_after');
    const rest = filtered.slice(idx + 1);
    page = rest.slice(0, limit);
    hasMore = rest.length > limit;
  } else if (params.ending_before) {
    const idx = filtered.findIndex((o) => o.id === params.ending_before);
    if (idx === -1) throw noSuch(noun, params.ending_before, 'ending_before');
    const before = filtered.slice(0, idx);
    page = before.slice(Math.max(0, before.length - limit));
    hasMore = before.length > limit;
  } else {
    page = filtered.slice(0, limit);
    hasMore = filtered.length > limit;
  }
  const list: ListObj<T> = { object: 'list', data: page.map((o) => present(engine, o)), has_more: hasMore, url };
  const expand = params.expand ?? [];
  let out: unknown = list;
  for (const path of expand) out = expandPath(engine, out, path.split('.'), path);
  return out as ListObj<T>;
}

/** A small embedded list (e.g. `subscription.items`, `transfer.reversals`). */
export function embeddedList<T>(data: T[], url: string): ListObj<T> {
  return { object: 'list', data, has_more: false, url };
}
