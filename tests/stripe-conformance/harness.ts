// Harness for the Stripe conformance suite.
//
// Each test file calls `useStripe()` once at top level. It gives a `stripe` client that
// talks either to a fresh local Stripe sandbox (default) or, when
// STRIPE_CONFORMANCE_SECRET_KEY holds a real `sk_test_…` key, to Stripe's test mode.
// Two webhook endpoints are registered (`enabled_events: ['*']`): one for the account's
// own events and one with `connect: true`; every delivery is verified with the SDK's
// own `stripe.webhooks.constructEvent` before it is recorded.
//
// Real Stripe cannot reach 127.0.0.1: set STRIPE_CONFORMANCE_WEBHOOK_URL to a public URL
// forwarding (paths preserved) to http://127.0.0.1:$STRIPE_CONFORMANCE_WEBHOOK_PORT, where
// each test file's webhook server listens, to receive events from real Stripe.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, vi } from 'vitest';

export const API_VERSION = '2026-10-28.endive';
export const realKey = process.env.STRIPE_CONFORMANCE_SECRET_KEY ?? '';
/** True when the suite runs against real Stripe test mode instead of the sandbox. */
export const realStripe = realKey !== '';
if (realStripe && !realKey.startsWith('sk_test_')) {
  throw new Error('STRIPE_CONFORMANCE_SECRET_KEY must be a test-mode secret key (sk_test_…)');
}
/** Key used against the sandbox: any test-mode secret key. */
export const SANDBOX_KEY = 'sk_test_makerfund_conformance';

/** How long to wait for something asynchronous (a webhook, a dispute, a clock). */
export const WAIT_MS = realStripe ? 120_000 : 10_000;

vi.setConfig({ testTimeout: realStripe ? 300_000 : 30_000, hookTimeout: realStripe ? 120_000 : 30_000 });

// ---------------------------------------------------------------------------------------
// Sandbox

export type SandboxSwitches = {
  rateLimitPerSecond?: number | null;
  failureRate?: number;
  lostResponseRate?: number;
  webhookDuplicates?: number;
  webhookConcurrent?: boolean;
  webhookShuffle?: boolean;
  webhookDelayMs?: number;
  webhookParallel?: number;
};

/** The part of the sandbox's public API this suite uses. */
export type SandboxHandle = {
  url: string;
  stripeConfig: { host: string; port: number; protocol: 'http' };
  configure(switches: SandboxSwitches): void | Promise<void>;
  flushWebhooks(): Promise<void>;
  close(): Promise<void>;
};

export type SandboxOptions = {
  port?: number;
  dataDir?: string | null;
  webhookRetryDelaysMs?: number[];
};

export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const mod = (await import('../../scripts/stripe-sandbox/index.ts')) as unknown as {
    startStripeSandbox(o: SandboxOptions): Promise<SandboxHandle>;
  };
  return mod.startStripeSandbox({ port: 0, dataDir: null, webhookRetryDelaysMs: [50, 100, 200], ...options });
}

export function sandboxClient(sandbox: SandboxHandle, key = SANDBOX_KEY): Stripe {
  return new Stripe(key, {
    ...sandbox.stripeConfig,
    apiVersion: API_VERSION,
    maxNetworkRetries: 0,
    telemetry: false,
  } as ConstructorParameters<typeof Stripe>[1]);
}

// ---------------------------------------------------------------------------------------
// Webhook receiver

export type Delivery = {
  event: Stripe.Event;
  rawBody: string;
  header: string;
  receivedAt: number;
  /** HTTP status the receiver answered with. */
  status: number;
};

export type Receiver = {
  /** Local URL of this receiver (http://127.0.0.1:port/path). */
  localUrl: string;
  /** URL registered with Stripe (the public tunnel's when running against real Stripe). */
  url: string;
  /** Secret of the endpoint this receiver verifies with (set after registration). */
  secret: string;
  endpoint: Stripe.WebhookEndpoint | null;
  /** Every verified delivery, duplicates included, in arrival order. */
  deliveries: Delivery[];
  /** Deliveries that failed signature verification. */
  rejected: { rawBody: string; header: string; error: string }[];
  /** Events (first delivery of each id) in arrival order. */
  events(): Stripe.Event[];
  eventsOfTypes(types: string[], predicate?: (e: Stripe.Event) => boolean): Stripe.Event[];
  waitForEvent(type: string, predicate?: (e: Stripe.Event) => boolean, timeoutMs?: number): Promise<Stripe.Event>;
  close(): Promise<void>;
};

export type ReceiverOptions = {
  /** Decide the HTTP status per verified delivery (default 200). */
  respond?: (event: Stripe.Event, deliveryIndex: number) => number | Promise<number>;
  /** URL path of this receiver on the file's webhook server (default: a fresh one). */
  path?: string;
};

type Handler = (req: { rawBody: string; header: string }) => Promise<number>;

/**
 * One node:http server per test file carries every receiver, one path each, so that a
 * single public tunnel (STRIPE_CONFORMANCE_WEBHOOK_URL → STRIPE_CONFORMANCE_WEBHOOK_PORT)
 * can carry all of them when running against real Stripe.
 */
let webhookServer: { server: http.Server; base: string; handlers: Map<string, Handler> } | null = null;

async function receiverServer(): Promise<NonNullable<typeof webhookServer>> {
  if (webhookServer) return webhookServer;
  const handlers = new Map<string, Handler>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const handler = handlers.get((req.url ?? '').split('?')[0] ?? '');
      if (req.method !== 'POST' || !handler) {
        res.writeHead(404).end();
        return;
      }
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers['stripe-signature'] ?? '');
      void handler({ rawBody, header }).then(
        (status) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: status < 300 })),
        () => res.writeHead(500).end(),
      );
    });
  });
  const port = Number(process.env.STRIPE_CONFORMANCE_WEBHOOK_PORT ?? 0);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  webhookServer = { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handlers };
  return webhookServer;
}

async function closeReceiverServer(): Promise<void> {
  if (!webhookServer) return;
  const { server } = webhookServer;
  webhookServer = null;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
}

export async function startReceiver(stripe: Stripe, options: ReceiverOptions = {}): Promise<Receiver> {
  const path = options.path ?? `/hooks/${uid('r')}`;
  const shared = await receiverServer();
  const deliveries: Delivery[] = [];
  const rejected: Receiver['rejected'] = [];
  const publicBase = process.env.STRIPE_CONFORMANCE_WEBHOOK_URL?.replace(/\/$/, '');
  const receiver: Receiver = {
    localUrl: `${shared.base}${path}`,
    url: `${publicBase ?? shared.base}${path}`,
    secret: '',
    endpoint: null,
    deliveries,
    rejected,
    events() {
      const seen = new Set<string>();
      const out: Stripe.Event[] = [];
      for (const d of deliveries) {
        if (seen.has(d.event.id)) continue;
        seen.add(d.event.id);
        out.push(d.event);
      }
      return out;
    },
    eventsOfTypes(types, predicate = () => true) {
      return receiver.events().filter((e) => types.includes(e.type) && predicate(e));
    },
    async waitForEvent(type, predicate = () => true, timeoutMs = WAIT_MS) {
      return waitFor(() => receiver.events().find((e) => e.type === type && predicate(e)), {
        timeoutMs,
        message: () =>
          `no ${type} event matching the predicate arrived within ${timeoutMs} ms; received: ` +
          receiver
            .events()
            .map((e) => `${e.type}(${(e.data.object as { id?: string }).id ?? '?'})`)
            .slice(-40)
            .join(', '),
      });
    },
    async close() {
      shared.handlers.delete(path);
    },
  };
  shared.handlers.set(path, async ({ rawBody, header }) => {
    let event: Stripe.Event;
    try {
      if (!receiver.secret) throw new Error('endpoint secret not known yet');
      // The SDK's own verifier, on the raw bytes.
      event = stripe.webhooks.constructEvent(rawBody, header, receiver.secret);
    } catch (error) {
      rejected.push({ rawBody, header, error: String(error) });
      return 400;
    }
    const index = deliveries.filter((d) => d.event.id === event.id).length;
    const status = options.respond ? await options.respond(event, index) : 200;
    deliveries.push({ event, rawBody, header, receivedAt: Date.now(), status });
    return status;
  });
  return receiver;
}

/** Start a receiver and register it as a webhook endpoint (all events unless told). */
export async function startEndpoint(
  stripe: Stripe,
  options: ReceiverOptions & { connect?: boolean; enabledEvents?: Stripe.WebhookEndpointCreateParams.EnabledEvent[] } = {},
): Promise<Receiver> {
  const receiver = await startReceiver(stripe, options);
  const endpoint = await stripe.webhookEndpoints.create({
    url: receiver.url,
    enabled_events: options.enabledEvents ?? ['*'],
    api_version: API_VERSION,
    ...(options.connect ? { connect: true } : {}),
  });
  expect(endpoint.secret, 'webhookEndpoints.create returns the signing secret once').toMatch(/^whsec_/);
  receiver.secret = endpoint.secret ?? '';
  receiver.endpoint = endpoint;
  return receiver;
}

// ---------------------------------------------------------------------------------------
// Per-file context

export type Ctx = {
  stripe: Stripe;
  /** null when running against real Stripe. */
  sandbox: SandboxHandle | null;
  /** Receiver of the account's own events. */
  webhooks: Receiver;
  /** Receiver of connected accounts' events (endpoint created with connect: true). */
  connectWebhooks: Receiver;
  /** A client with another key (same server). */
  clientWithKey(key: string): Stripe;
};

/** Registers beforeAll/afterAll hooks; the returned object is usable inside tests. */
export function useStripe(): Ctx {
  let state: Omit<Ctx, 'clientWithKey'> | null = null;
  const created: Receiver[] = [];
  beforeAll(async () => {
    let stripe: Stripe;
    let sandbox: SandboxHandle | null = null;
    if (realStripe) {
      stripe = new Stripe(realKey, { apiVersion: API_VERSION, maxNetworkRetries: 2 } as ConstructorParameters<typeof Stripe>[1]);
    } else {
      sandbox = await startSandbox();
      stripe = sandboxClient(sandbox);
    }
    const webhooks = await startEndpoint(stripe, { path: '/platform' });
    const connectWebhooks = await startEndpoint(stripe, { path: '/connect', connect: true });
    created.push(webhooks, connectWebhooks);
    state = { stripe, sandbox, webhooks, connectWebhooks };
  });
  afterAll(async () => {
    if (!state) return;
    for (const r of created) {
      if (r.endpoint && realStripe) await state.stripe.webhookEndpoints.del(r.endpoint.id).catch(() => {});
      await r.close();
    }
    await closeReceiverServer();
    await state.sandbox?.close();
  });
  const get = (): Omit<Ctx, 'clientWithKey'> => {
    if (!state) throw new Error('useStripe() context used outside a test');
    return state;
  };
  return {
    get stripe() {
      return get().stripe;
    },
    get sandbox() {
      return get().sandbox;
    },
    get webhooks() {
      return get().webhooks;
    },
    get connectWebhooks() {
      return get().connectWebhooks;
    },
    clientWithKey(key: string) {
      const { sandbox } = get();
      if (sandbox) return sandboxClient(sandbox, key);
      return new Stripe(key, { apiVersion: API_VERSION, maxNetworkRetries: 0 } as ConstructorParameters<typeof Stripe>[1]);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Small helpers

export function uid(prefix = 't'): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs = WAIT_MS, intervalMs = 25, message }: { timeoutMs?: number; intervalMs?: number; message?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(message ? message() : `condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, realStripe ? Math.max(intervalMs, 500) : intervalMs));
  }
}

/** Await a promise that must reject with a Stripe error of the given class; returns it. */
export async function stripeError<E extends abstract new (...args: never[]) => Stripe.errors.StripeError>(
  promise: Promise<unknown>,
  errorClass: E,
): Promise<InstanceType<E>> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    expect(error, `expected ${errorClass.name}, got ${String(error)}`).toBeInstanceOf(errorClass);
    return error as InstanceType<E>;
  }
  throw new Error(`expected ${errorClass.name} but the call succeeded: ${JSON.stringify(result).slice(0, 300)}`);
}

/**
 * Card payments confirmed server-side without a return_url: at this API version
 * PaymentIntents and SetupIntents use automatic payment methods by default, so
 * redirect-based methods must be ruled out explicitly.
 */
export const NO_REDIRECTS = { automatic_payment_methods: { enabled: true, allow_redirects: 'never' } } as const;

/** Stripe's documented test cards and the PaymentMethod tokens that stand for them. */
export const CARDS = {
  visa: { number: '4242424242424242', token: 'pm_card_visa' },
  insufficientFunds: { number: '4000000000009995', token: 'pm_card_visa_chargeDeclinedInsufficientFunds' },
  chargeCustomerFail: { number: '4000000000000341', token: 'pm_card_chargeCustomerFail' },
  authenticationRequiredOnSetup: { number: '4000002500003155', token: 'pm_card_authenticationRequiredOnSetup' },
  createDispute: { number: '4000000000000259', token: 'pm_card_createDispute' },
  bypassPending: { number: '4000000000000077', token: 'pm_card_bypassPending' },
} as const;
export type TestCard = (typeof CARDS)[keyof typeof CARDS];

/**
 * A PaymentMethod for a test card. Against the sandbox the card number is sent as a
 * person would type it; real Stripe refuses raw card numbers from most accounts, so
 * there the documented `pm_card_…` token for the same card is used.
 */
export async function cardPaymentMethod(stripe: Stripe, card: TestCard, billingName = 'Pat Ron'): Promise<Stripe.PaymentMethod> {
  if (realStripe) {
    return stripe.paymentMethods.create({ type: 'card', card: { token: card.token.replace(/^pm_card_/, 'tok_') } });
  }
  return stripe.paymentMethods.create({
    type: 'card',
    card: { number: card.number, exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, cvc: '123' },
    billing_details: { name: billingName },
  });
}

/** A customer with the card attached and set as the invoice default. */
export async function customerWithCard(
  stripe: Stripe,
  card: TestCard = CARDS.visa,
  params: Stripe.CustomerCreateParams = {},
): Promise<{ customer: Stripe.Customer; paymentMethod: Stripe.PaymentMethod }> {
  const customer = await stripe.customers.create({ email: `${uid('patron')}@example.com`, name: 'Pat Ron', ...params });
  const pm = await cardPaymentMethod(stripe, card);
  const attached = await stripe.paymentMethods.attach(pm.id, { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
  return { customer, paymentMethod: attached };
}

export async function recurringPrice(
  stripe: Stripe,
  unitAmount: number,
  interval: 'month' | 'year' = 'month',
  productName = 'Supporter tier',
): Promise<Stripe.Price> {
  const product = await stripe.products.create({ name: productName, metadata: { suite: 'conformance' } });
  return stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: unitAmount, recurring: { interval } });
}

export async function oneTimePrice(stripe: Stripe, unitAmount: number, productName = 'Pledge'): Promise<Stripe.Price> {
  const product = await stripe.products.create({ name: productName });
  return stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: unitAmount });
}

/** A confirmed, succeeded PaymentIntent for `amount` cents with the given card. */
export async function paidIntent(stripe: Stripe, amount: number, card: TestCard = CARDS.visa): Promise<Stripe.PaymentIntent> {
  const pm = await cardPaymentMethod(stripe, card);
  const pi = await stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: pm.id,
    ...NO_REDIRECTS,
    confirm: true,
    metadata: { suite: 'conformance' },
  });
  expect(pi.status).toBe('succeeded');
  return pi;
}

export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value == null) return null;
  return typeof value === 'string' ? value : value.id;
}

/** Advance a test clock and wait until it is ready again. */
export async function advanceClock(stripe: Stripe, clockId: string, frozenTime: number): Promise<Stripe.TestHelpers.TestClock> {
  const advancing = await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: frozenTime });
  expect(['advancing', 'ready']).toContain(advancing.status);
  return waitFor(
    async () => {
      const clock = await stripe.testHelpers.testClocks.retrieve(clockId);
      expect(clock.status).not.toBe('internal_failure');
      return clock.status === 'ready' ? clock : null;
    },
    { timeoutMs: realStripe ? 240_000 : WAIT_MS, intervalMs: 50, message: () => `test clock ${clockId} did not become ready` },
  );
}

/** The id of the object an event is about. */
export function objectId(event: Stripe.Event): string {
  return (event.data.object as { id: string }).id;
}

/** Events of an object from events.list, oldest first (Stripe lists newest first). */
export async function loggedEvents(
  stripe: Stripe,
  filter: (e: Stripe.Event) => boolean,
  params: Stripe.EventListParams = {},
): Promise<Stripe.Event[]> {
  const out: Stripe.Event[] = [];
  for await (const e of stripe.events.list({ limit: 100, ...params })) {
    if (filter(e)) out.push(e);
    if (out.length > 500) break;
  }
  return out.reverse();
}

/** Index of the first event with that type in a list, failing if absent. */
export function indexOfType(events: Stripe.Event[], type: string): number {
  const i = events.findIndex((e) => e.type === type);
  expect(i, `${type} in [${events.map((e) => e.type).join(', ')}]`).toBeGreaterThanOrEqual(0);
  return i;
}

/** Stripe's default US card pricing: 2.9% + 30¢. */
export function cardFee(amount: number): number {
  return Math.round(amount * 0.029) + 30;
}
