/**
 * The sandbox engine: state, options, fault switches, the current request context and time.
 * Resource modules are plain functions taking the engine.
 */
import { Persister, Store, type State } from './store.ts';

export const API_VERSION = '2026-10-28.endive';

export type SandboxSwitches = {
  /** 429 with Stripe's rate_limit error past this many API requests per second. */
  rateLimitPerSecond: number | null;
  /** 0..1: an injected 500 api_error (nothing happens). */
  failureRate: number;
  /** 0..1: the operation happens, then the socket is destroyed before the answer. */
  lostResponseRate: number;
  /** 0..1: probability each webhook delivery is sent twice. */
  webhookDuplicates: number;
  /** Send duplicate copies at the same time. */
  webhookConcurrent: boolean;
  /** Deliver queued events in random order. */
  webhookShuffle: boolean;
  /** Delay before (first) delivery. */
  webhookDelayMs: number;
  /** Deliveries in flight at once per endpoint (Stripe sends concurrently; 1 = one after another, in creation order). */
  webhookParallel: number;
  /** Payouts fail (payout.failed) instead of being paid. */
  payoutFailure: boolean;
  /** Days after the previous failed attempt when a failed subscription invoice is retried. */
  invoiceRetryDays: number[];
  /** What happens to a subscription after its last retry fails. */
  afterFinalRetry: 'cancel' | 'unpaid' | 'past_due';
  /** Transfers without source_transaction need available platform balance (balance_insufficient), like Stripe. Payouts always do. */
  enforceBalance: boolean;
};

export const DEFAULT_SWITCHES: SandboxSwitches = {
  rateLimitPerSecond: null,
  failureRate: 0,
  lostResponseRate: 0,
  webhookDuplicates: 0,
  webhookConcurrent: false,
  webhookShuffle: false,
  webhookDelayMs: 0,
  webhookParallel: 1,
  payoutFailure: false,
  invoiceRetryDays: [3, 5, 7],
  afterFinalRetry: 'cancel',
  enforceBalance: true,
};

export type EngineOptions = {
  feeBasisPoints: number;
  feeFixed: number;
  webhookRetryDelaysMs: number[];
  log: (msg: string) => void;
  dataDir: string | null;
};

export type RequestContext = {
  requestId: string | null;
  idempotencyKey: string | null;
  /** Stripe-Account of the request (null = platform). */
  account: string | null;
};

export class Engine {
  readonly store: Store;
  readonly options: EngineOptions;
  switches: SandboxSwitches;
  baseUrl = '';
  ctx: RequestContext = { requestId: null, idempotencyKey: null, account: null };
  readonly persister: Persister;
  /** Called after events are stored (webhook dispatch). */
  onEvent: (eventId: string) => void = () => {};

  constructor(options: EngineOptions, switches: SandboxSwitches) {
    this.options = options;
    this.switches = switches;
    this.persister = new Persister(options.dataDir, () => this.store.state, (err) => options.log(`stripe-sandbox: could not save state: ${String(err)}`));
    const loaded = this.persister.load();
    this.store = new Store(loaded ?? undefined);
  }

  get state(): State {
    return this.store.state;
  }

  /** Current unix time for a test clock (null = real time). */
  now(clock: string | null = null): number {
    if (clock) {
      const processing = this.store.internal.clockProcessing[clock];
      if (processing !== undefined) return processing;
      const c = this.store.get('test_helpers.test_clock', clock);
      if (c) return c.frozen_time;
    }
    return Math.floor(Date.now() / 1000);
  }

  /** Time for an object (uses the clock it lives on). */
  nowOf(id: string | null | undefined): number {
    return this.now(this.store.clockOf(id));
  }

  changed(): void {
    this.persister.schedule();
  }

  /** Runs `fn` with a request context (events record request id and idempotency key). */
  withContext<T>(ctx: Partial<RequestContext>, fn: () => T): T {
    const prev = this.ctx;
    this.ctx = { requestId: null, idempotencyKey: null, account: null, ...ctx };
    try {
      return fn();
    } finally {
      this.ctx = prev;
    }
  }

  log(msg: string): void {
    this.options.log(msg);
  }
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
