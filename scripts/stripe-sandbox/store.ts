/**
 * In-memory state of the sandbox, persisted as one JSON snapshot (write temp file, then rename).
 * Every object has a meta record: its kind, a creation sequence number (for newest-first
 * ordering of objects created in the same second), the connected account that owns it
 * (null = platform) and the test clock it lives on.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Delivery, IdempotencyRecord, Internal, Kind, Kinds } from './types.ts';

export type Meta = { kind: Kind; seq: number; account: string | null; clock: string | null };

export type State = {
  version: 1;
  seq: number;
  objects: { [K in Kind]: Record<string, Kinds[K]> };
  meta: Record<string, Meta>;
  internal: Internal;
  idempotency: Record<string, IdempotencyRecord>;
  deliveries: Delivery[];
};

const KINDS: Kind[] = [
  'customer', 'product', 'price', 'payment_method', 'setup_intent', 'payment_intent', 'charge',
  'balance_transaction', 'refund', 'dispute', 'checkout.session', 'subscription', 'invoice',
  'invoiceitem', 'invoice_payment', 'test_helpers.test_clock', 'billing_portal.session', 'account',
  'transfer', 'transfer_reversal', 'payout', 'event', 'webhook_endpoint',
];

export function emptyState(): State {
  const objects = {} as State['objects'];
  for (const k of KINDS) (objects as Record<string, Record<string, unknown>>)[k] = {};
  return {
    version: 1,
    seq: 0,
    objects,
    meta: {},
    internal: {
      cards: {},
      webhookSecrets: {},
      webhookConnect: {},
      checkout: {},
      invoiceRetries: {},
      accountLinks: {},
      bankAccounts: {},
      clockProcessing: {},
      portalConfig: null,
      challenges: {},
      invoiceCounter: 0,
      deleted: {},
    },
    idempotency: {},
    deliveries: [],
  };
}

export class Store {
  state: State;

  constructor(state: State = emptyState()) {
    this.state = state;
  }

  insert<K extends Kind>(kind: K, obj: Kinds[K] & { id: string }, where: { account?: string | null; clock?: string | null } = {}): Kinds[K] {
    (this.state.objects[kind] as Record<string, Kinds[K]>)[obj.id] = obj;
    this.state.meta[obj.id] = { kind, seq: ++this.state.seq, account: where.account ?? null, clock: where.clock ?? null };
    if (this.indexedState === this.state) {
      for (const [key, index] of this.indexes) if (key.startsWith(`${kind}.`)) addToIndex(index, valueAt(obj, key.slice(kind.length + 1)), obj.id);
    }
    return obj;
  }

  /** Indexes by `kind.field`, for the state they were built from (a reset or load replaces it). */
  private indexes = new Map<string, Map<string, Set<string>>>();
  private indexedState: State | null = null;

  /**
   * Objects of a kind, in any account, whose `field` (a dotted path, set at creation and never
   * changed) equals `value`: looked up in an index instead of scanning every object of the kind
   * (an invoice's payments, a customer's invoices — scans that made a wave of n renewals cost n²).
   */
  allBy<K extends Kind>(kind: K, field: string, value: string): Kinds[K][] {
    if (this.indexedState !== this.state) {
      this.indexes.clear();
      this.indexedState = this.state;
    }
    const key = `${kind}.${field}`;
    let index = this.indexes.get(key);
    if (!index) {
      index = new Map();
      for (const [id, obj] of Object.entries(this.state.objects[kind])) addToIndex(index, valueAt(obj, field), id);
      this.indexes.set(key, index);
    }
    const objects = this.state.objects[kind] as Record<string, Kinds[K]>;
    const found: Kinds[K][] = [];
    for (const id of index.get(value) ?? []) {
      const obj = objects[id];
      if (obj !== undefined && valueAt(obj, field) === value) found.push(obj);
    }
    return found;
  }

  /** Like list, for objects whose `field` equals `value` (see allBy). */
  listBy<K extends Kind>(kind: K, account: string | null, field: string, value: string): Kinds[K][] {
    return this.allBy(kind, field, value)
      .filter((obj) => this.accountOf((obj as { id: string }).id) === account)
      .sort((a, b) => this.order(b) - this.order(a));
  }

  get<K extends Kind>(kind: K, id: string | null | undefined): Kinds[K] | undefined {
    if (!id) return undefined;
    return this.state.objects[kind][id];
  }

  /** Like get, but only if the object belongs to `account` (null = platform). */
  scoped<K extends Kind>(kind: K, id: string | null | undefined, account: string | null): Kinds[K] | undefined {
    if (!id) return undefined;
    const obj = this.state.objects[kind][id];
    if (!obj) return undefined;
    const meta = this.state.meta[id];
    if ((meta?.account ?? null) !== account) return undefined;
    return obj;
  }

  remove(kind: Kind, id: string): void {
    delete this.state.objects[kind][id];
    delete this.state.meta[id];
  }

  all<K extends Kind>(kind: K): Kinds[K][] {
    return Object.values(this.state.objects[kind]);
  }

  /** All objects of a kind in an account (null = platform), newest first. */
  list<K extends Kind>(kind: K, account: string | null, filter?: (o: Kinds[K]) => boolean): Kinds[K][] {
    const out: Kinds[K][] = [];
    for (const [id, obj] of Object.entries(this.state.objects[kind])) {
      const meta = this.state.meta[id];
      if ((meta?.account ?? null) !== account) continue;
      if (filter && !filter(obj)) continue;
      out.push(obj);
    }
    return out.sort((a, b) => this.order(b) - this.order(a));
  }

  private order(obj: unknown): number {
    const id = (obj as { id?: string }).id;
    return id ? (this.state.meta[id]?.seq ?? 0) : 0;
  }

  meta(id: string): Meta | undefined {
    return this.state.meta[id];
  }

  kindOf(id: string): Kind | undefined {
    return this.state.meta[id]?.kind;
  }

  accountOf(id: string): string | null {
    return this.state.meta[id]?.account ?? null;
  }

  clockOf(id: string | null | undefined): string | null {
    if (!id) return null;
    return this.state.meta[id]?.clock ?? null;
  }

  get internal(): Internal {
    return this.state.internal;
  }
}

/** Debounced, atomic JSON persistence of the whole state. */
export class Persister {
  readonly file: string | null;
  private timer: NodeJS.Timeout | null = null;
  private readonly getState: () => State;
  private readonly onError: (err: unknown) => void;

  constructor(dataDir: string | null, getState: () => State, onError: (err: unknown) => void) {
    this.file = dataDir ? join(dataDir, 'state.json') : null;
    this.getState = getState;
    this.onError = onError;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
  }

  load(): State | null {
    if (!this.file || !existsSync(this.file)) return null;
    const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as State;
    if (parsed.version !== 1) throw new Error(`Unsupported sandbox state version in ${this.file}`);
    const fresh = emptyState();
    // Kinds or internal tables added later start empty.
    for (const k of Object.keys(fresh.objects) as Kind[]) {
      if (!parsed.objects[k]) (parsed.objects as Record<string, unknown>)[k] = {};
    }
    parsed.internal = { ...fresh.internal, ...parsed.internal, clockProcessing: {} };
    return parsed;
  }

  schedule(delayMs = 200): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.saveNow();
    }, delayMs);
    this.timer.unref();
  }

  saveNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.file) return;
    try {
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.getState()));
      renameSync(tmp, this.file);
    } catch (err) {
      this.onError(err);
    }
  }
}

function valueAt(obj: unknown, path: string): unknown {
  let value = obj;
  for (const key of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function addToIndex(index: Map<string, Set<string>>, value: unknown, id: string): void {
  if (typeof value !== 'string') return;
  let ids = index.get(value);
  if (!ids) index.set(value, (ids = new Set()));
  ids.add(id);
}
