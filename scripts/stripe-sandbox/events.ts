/**
 * Events: every state change records the event Stripe would send (data.object is a snapshot,
 * data.previous_attributes on *.updated), then hands it to webhook delivery.
 */
import type Stripe from 'stripe';
import { API_VERSION, clone, type Engine } from './engine.ts';
import { newId } from './ids.ts';
import { listResponse, mustGet, present, render, type Route } from './api.ts';
import { LIST_PARAMS, S, validate } from './params.ts';
import type { Kind, Kinds } from './types.ts';

type AnyObject = Record<string, unknown>;

function isPlainObject(v: unknown): v is AnyObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Stripe-style previous_attributes: changed keys with their old values (nested for plain objects). */
export function diff(before: AnyObject, after: AnyObject): AnyObject {
  const prev: AnyObject = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const a = before[key];
    const b = after[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (isPlainObject(a) && isPlainObject(b) && a['object'] !== 'list' && b['object'] !== 'list' && !('id' in a)) {
      const inner = diff(a, b);
      if (Object.keys(inner).length > 0) prev[key] = inner;
    } else {
      prev[key] = a === undefined ? null : a;
    }
  }
  return prev;
}

export type EmitOptions = {
  previous?: AnyObject;
  /** Connected account the event belongs to (defaults to the object's owner). */
  account?: string | null;
};

/** Records an event about `obj` and queues its webhook deliveries. */
export function emit(engine: Engine, type: string, obj: { id?: string } & object, opts: EmitOptions = {}): Stripe.Event {
  const id = (obj as { id?: string }).id;
  const account = opts.account !== undefined ? opts.account : id ? engine.store.accountOf(id) : null;
  const clock = id ? engine.store.clockOf(id) : null;
  const data: AnyObject = { object: present(engine, obj) };
  if (opts.previous && Object.keys(opts.previous).length > 0) data['previous_attributes'] = clone(opts.previous);
  const event = {
    id: newId('evt'),
    object: 'event',
    api_version: API_VERSION,
    created: engine.now(clock),
    data,
    livemode: false,
    pending_webhooks: 0,
    request: { id: engine.ctx.requestId, idempotency_key: engine.ctx.idempotencyKey },
    type,
  } as unknown as Stripe.Event;
  if (account) (event as unknown as AnyObject)['account'] = account;
  engine.store.insert('event', event, { account, clock });
  engine.onEvent(event.id);
  engine.changed();
  return event;
}

/**
 * Mutates a stored object and emits `eventType` (default `<kind>.updated`) with
 * previous_attributes when anything changed. Returns the changed keys (empty if none).
 */
export function update<K extends Kind>(
  engine: Engine,
  kind: K,
  id: string,
  mutate: (obj: Kinds[K]) => void,
  eventType: string | null = `${kind}.updated`,
): AnyObject {
  const obj = engine.store.get(kind, id);
  if (!obj) throw new Error(`update: no ${kind} ${id}`);
  const before = clone(obj) as unknown as AnyObject;
  mutate(obj);
  const previous = diff(before, obj as unknown as AnyObject);
  if (eventType && Object.keys(previous).length > 0) emit(engine, eventType, obj, { previous });
  engine.changed();
  return previous;
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/events/:id',
    handler: (req) => {
      const p = validate(req.body, {});
      return render(req.engine, mustGet(req, 'event', req.params['id']), p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/events',
    handler: (req) => {
      const p = validate<{ type?: string; types?: string[]; delivery_success?: boolean } & Record<string, unknown>>(req.body, {
        ...LIST_PARAMS,
        type: S.str(),
        types: S.arr(S.str()),
        delivery_success: S.bool(),
      });
      const matchType = (t: string): boolean => {
        const one = (pattern: string): boolean =>
          pattern.endsWith('*') ? t.startsWith(pattern.slice(0, -1)) : t === pattern;
        if (p.type && !one(p.type)) return false;
        if (p.types && !p.types.some(one)) return false;
        return true;
      };
      const items = req.engine.store.list('event', req.account, (e) => matchType(e.type));
      return listResponse(req.engine, items, p, '/v1/events', 'event');
    },
  },
];
