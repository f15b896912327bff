/**
 * Webhook endpoints (API) and delivery: signed like Stripe (`Stripe-Signature: t=…,v1=…`),
 * retried with backoff on non-2xx, with fault switches for duplicates, concurrency, shuffling
 * and delay.
 */
import { createHmac } from 'node:crypto';
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId, webhookSecret } from './ids.ts';
import { listResponse, mustGet, present, registerPresenter, render, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, newMetadata, validate } from './params.ts';
import type { Delivery } from './types.ts';
import { Heap } from './heap.ts';

export function signPayload(payload: string, secret: string, timestamp: number): string {
  const sig = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${sig}`;
}

export function endpointMatches(engine: Engine, endpoint: Stripe.WebhookEndpoint, event: Stripe.Event): boolean {
  if (endpoint.status !== 'enabled') return false;
  const connect = engine.store.internal.webhookConnect[endpoint.id] ?? false;
  const isConnectEvent = Boolean((event as { account?: string }).account);
  if (connect !== isConnectEvent) return false;
  return endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(event.type);
}

const DONE_KEEP = 500;
const TIMEOUT_MS = 10_000;

export class WebhookDispatcher {
  private readonly engine: Engine;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly busyEndpoints = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private closed = false;
  private flushing = 0;
  private finishedSincePrune = 0;
  private readonly controllers = new Set<AbortController>();

  /**
   * The pending deliveries not in flight, indexed so that each step costs a heap operation, not a
   * scan of every delivery (a renewal wave queues 100k): those not due yet by time, and the due
   * ones per endpoint in the order they were created. Built from `state.deliveries`, and rebuilt
   * when that array is replaced (a reset, a state loaded from disk).
   */
  private indexed: Delivery[] | null = null;
  private readonly seqs = new WeakMap<Delivery, number>();
  private nextSeq = 0;
  private waiting = this.newWaiting();
  private ready = new Map<string, Heap<Delivery>>();

  constructor(engine: Engine) {
    this.engine = engine;
  }

  private get deliveries(): Delivery[] {
    return this.engine.state.deliveries;
  }

  private seq(d: Delivery): number {
    let seq = this.seqs.get(d);
    if (seq === undefined) {
      seq = this.nextSeq++;
      this.seqs.set(d, seq);
    }
    return seq;
  }

  private newWaiting(): Heap<Delivery> {
    return new Heap<Delivery>((a, b) => a.nextAtMs < b.nextAtMs || (a.nextAtMs === b.nextAtMs && this.seq(a) < this.seq(b)));
  }

  private index(): void {
    if (this.indexed === this.deliveries) return;
    this.waiting = this.newWaiting();
    this.ready = new Map();
    for (const d of this.deliveries) {
      this.seq(d);
      if (d.status === 'pending' && !this.inFlight.has(d.id)) this.waiting.push(d);
    }
    this.indexed = this.deliveries;
  }

  /** Queues a pending delivery that is not in flight (new, or back from a failed attempt). */
  private queue(d: Delivery): void {
    if (this.indexed === this.deliveries) this.waiting.push(d);
    // Otherwise the state was replaced meanwhile: the next index() finds it if it is still there.
  }

  /** Moves the deliveries due by `nowMs` to their endpoint's queue. */
  private promote(nowMs: number): void {
    this.index();
    for (let next = this.waiting.peek(); next && next.nextAtMs <= nowMs; next = this.waiting.peek()) {
      const d = this.waiting.pop() as Delivery;
      let queue = this.ready.get(d.endpointId);
      if (!queue) {
        queue = new Heap<Delivery>((a, b) => this.seq(a) < this.seq(b));
        this.ready.set(d.endpointId, queue);
      }
      queue.push(d);
    }
  }

  enqueue(eventId: string): void {
    const event = this.engine.store.get('event', eventId);
    if (!event) return;
    this.index();
    let count = 0;
    const nowMs = Date.now();
    for (const endpoint of this.engine.store.list('webhook_endpoint', null).reverse()) {
      if (!endpointMatches(this.engine, endpoint, event)) continue;
      count++;
      const delivery: Delivery = {
        id: newId('whdel'),
        eventId,
        endpointId: endpoint.id,
        attempts: 0,
        // While a flush waits, first deliveries are not held back by the delay switch.
        nextAtMs: this.flushing > 0 ? nowMs : nowMs + this.engine.switches.webhookDelayMs,
        status: 'pending',
        lastStatus: null,
        lastError: null,
        createdMs: nowMs,
      };
      this.deliveries.push(delivery);
      this.seq(delivery); // creation order, before any comparison
      this.queue(delivery);
    }
    event.pending_webhooks = count;
    if (count > 0) this.kick();
  }

  kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Starts the first due deliveries (or random ones, with the shuffle switch) of every endpoint with room (webhookParallel). */
  private pump(): void {
    if (this.closed) return;
    this.promote(Date.now());
    const parallel = this.engine.switches.webhookParallel;
    for (const [endpointId, queue] of this.ready) {
      while (queue.size > 0 && (this.busyEndpoints.get(endpointId) ?? 0) < parallel) {
        const pick = this.engine.switches.webhookShuffle ? queue.removeAt(Math.floor(Math.random() * queue.size)) : queue.pop();
        if (pick) this.start(pick);
      }
      if (queue.size === 0) this.ready.delete(endpointId);
    }
    this.armTimer();
  }

  /** Wakes the pump when the next delivery not yet due becomes due (a due one waits for its endpoint). */
  private armTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.closed) return;
    const next = this.waiting.peek();
    if (!next) return;
    this.timer = setTimeout(() => this.pump(), Math.max(0, next.nextAtMs - Date.now()));
    this.timer.unref();
  }

  private start(d: Delivery): void {
    this.busyEndpoints.set(d.endpointId, (this.busyEndpoints.get(d.endpointId) ?? 0) + 1);
    const p = this.attempt(d).finally(() => {
      this.inFlight.delete(d.id);
      this.busyEndpoints.set(d.endpointId, (this.busyEndpoints.get(d.endpointId) ?? 1) - 1);
      if (d.status === 'pending') this.queue(d);
      else this.prune();
      this.engine.changed();
      this.pump();
    });
    this.inFlight.set(d.id, p);
  }

  private async post(url: string, payload: string, secret: string): Promise<number> {
    const controller = new AbortController();
    this.controllers.add(controller);
    const timeout = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          Accept: '*/*; q=0.5, application/xml',
          'Cache-Control': 'no-cache',
          'Stripe-Signature': signPayload(payload, secret, Math.floor(Date.now() / 1000)),
        },
        body: payload,
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    } finally {
      clearTimeout(timeout);
      this.controllers.delete(controller);
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    const engine = this.engine;
    const event = engine.store.get('event', d.eventId);
    const endpoint = engine.store.get('webhook_endpoint', d.endpointId);
    const secret = engine.store.internal.webhookSecrets[d.endpointId];
    if (!event || !endpoint || !secret) {
      d.status = 'failed';
      d.lastError = 'endpoint or event no longer exists';
      return;
    }
    d.payload ??= JSON.stringify(present(engine, event), null, 2);
    const payload = d.payload;
    const sw = engine.switches;
    const copies = Math.random() < sw.webhookDuplicates ? 2 : 1;
    const send = async (): Promise<number> => {
      try {
        return await this.post(endpoint.url, payload, secret);
      } catch (err) {
        d.lastError = err instanceof Error ? err.message : String(err);
        return 0;
      }
    };
    let statuses: number[];
    if (copies === 2 && sw.webhookConcurrent) {
      statuses = await Promise.all([send(), send()]);
    } else {
      statuses = [];
      for (let i = 0; i < copies; i++) statuses.push(await send());
    }
    if (this.closed && statuses.every((s) => s === 0)) return; // shutting down: keep it pending
    d.attempts++;
    const ok = statuses.find((s) => s >= 200 && s < 300);
    d.lastStatus = ok ?? statuses[statuses.length - 1] ?? 0;
    if (ok !== undefined) {
      d.status = 'succeeded';
      delete d.payload;
      d.lastError = null;
      const stored = engine.store.get('event', d.eventId);
      if (stored && stored.pending_webhooks > 0) stored.pending_webhooks--;
    } else {
      const delays = engine.options.webhookRetryDelaysMs;
      const delay = delays[d.attempts - 1];
      if (delay === undefined) {
        d.status = 'failed';
        delete d.payload;
        engine.log(`stripe-sandbox: gave up delivering ${event.type} ${event.id} to ${endpoint.url} after ${d.attempts} attempts`);
      } else {
        d.nextAtMs = Date.now() + delay;
      }
    }
  }

  /** Keeps the last DONE_KEEP finished deliveries (checked every DONE_KEEP finishes). */
  private prune(): void {
    this.finishedSincePrune += 1;
    if (this.finishedSincePrune < DONE_KEEP) return;
    this.finishedSincePrune = 0;
    const done = this.deliveries.filter((d) => d.status !== 'pending');
    if (done.length <= DONE_KEEP * 2) return;
    const drop = new Set(done.slice(0, done.length - DONE_KEEP).map((d) => d.id));
    const indexed = this.indexed === this.deliveries;
    this.engine.state.deliveries = this.deliveries.filter((d) => !drop.has(d.id));
    // The pending deliveries are the same objects: the index stays valid.
    if (indexed) this.indexed = this.deliveries;
  }

  /** Resolves when every pending first delivery and every retry due now has been attempted. */
  async flush(): Promise<void> {
    this.flushing += 1;
    try {
      // First deliveries held back by the delay switch are due now.
      this.index();
      const nowMs = Date.now();
      const waiting = [...this.waiting.values()];
      this.waiting = this.newWaiting();
      for (const d of waiting) {
        if (d.attempts === 0 && d.nextAtMs > nowMs) d.nextAtMs = nowMs;
        this.waiting.push(d);
      }
      for (;;) {
        if (this.closed) return;
        this.pump();
        if (this.inFlight.size === 0) {
          this.promote(Date.now());
          if (this.ready.size === 0) return;
          await new Promise((r) => setImmediate(r));
          continue;
        }
        await Promise.race(this.inFlight.values());
      }
    } finally {
      this.flushing -= 1;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const c of this.controllers) c.abort();
    await Promise.allSettled(this.inFlight.values());
  }
}

// ---------------------------------------------------------------------------------------------
// Webhook endpoint API

registerPresenter('webhook_endpoint', (_engine, obj) => {
  delete obj['secret'];
});

const ENDPOINT_FIELDS = {
  url: S.str(),
  enabled_events: S.arr(S.str()),
  description: S.str(),
  metadata: S.meta(),
  connect: S.bool(),
  api_version: S.str(),
  disabled: S.bool(),
};

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/webhook_endpoints',
    handler: (req) => {
      const p = validate<Stripe.WebhookEndpointCreateParams>(req.body, {
        ...ENDPOINT_FIELDS,
        url: S.req(S.str()),
        enabled_events: S.req(S.arr(S.str())),
        disabled: undefined as never,
      });
      const { engine } = req;
      const endpoint: Stripe.WebhookEndpoint = {
        id: newId('we'),
        object: 'webhook_endpoint',
        api_version: p.api_version ?? null,
        application: null,
        created: engine.now(),
        description: p.description || null,
        enabled_events: p.enabled_events as string[],
        livemode: false,
        metadata: newMetadata(p.metadata),
        status: 'enabled',
        url: p.url,
      };
      const secret = webhookSecret();
      engine.store.insert('webhook_endpoint', endpoint, { account: req.account });
      engine.store.internal.webhookSecrets[endpoint.id] = secret;
      engine.store.internal.webhookConnect[endpoint.id] = p.connect ?? false;
      return { ...render(engine, endpoint, p.expand), secret };
    },
  },
  {
    method: 'GET',
    path: '/v1/webhook_endpoints/:id',
    handler: (req) => render(req.engine, mustGet(req, 'webhook_endpoint', req.params['id']), validate(req.body, {}).expand),
  },
  {
    method: 'POST',
    path: '/v1/webhook_endpoints/:id',
    handler: (req) => {
      const endpoint = mustGet(req, 'webhook_endpoint', req.params['id']);
      const p = validate<Stripe.WebhookEndpointUpdateParams>(req.body, { ...ENDPOINT_FIELDS, api_version: undefined as never });
      if (p.url !== undefined) endpoint.url = p.url;
      if (p.enabled_events !== undefined) endpoint.enabled_events = p.enabled_events as string[];
      if (p.description !== undefined) endpoint.description = p.description || null;
      if (p.metadata !== undefined) endpoint.metadata = mergeMetadata(endpoint.metadata, p.metadata);
      if (p.disabled !== undefined) endpoint.status = p.disabled ? 'disabled' : 'enabled';
      if ((p as { connect?: boolean }).connect !== undefined) {
        req.engine.store.internal.webhookConnect[endpoint.id] = Boolean((p as { connect?: boolean }).connect);
      }
      return render(req.engine, endpoint, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/webhook_endpoints',
    handler: (req) => {
      const p = validate(req.body, LIST_PARAMS);
      return listResponse(req.engine, req.engine.store.list('webhook_endpoint', req.account), p, '/v1/webhook_endpoints', 'webhook endpoint');
    },
  },
  {
    method: 'DELETE',
    path: '/v1/webhook_endpoints/:id',
    handler: (req) => {
      const endpoint = mustGet(req, 'webhook_endpoint', req.params['id']);
      req.engine.store.remove('webhook_endpoint', endpoint.id);
      delete req.engine.store.internal.webhookSecrets[endpoint.id];
      delete req.engine.store.internal.webhookConnect[endpoint.id];
      for (const d of req.engine.state.deliveries) {
        if (d.endpointId === endpoint.id && d.status === 'pending') d.status = 'failed';
      }
      return { id: endpoint.id, object: 'webhook_endpoint', deleted: true };
    },
  },
];
