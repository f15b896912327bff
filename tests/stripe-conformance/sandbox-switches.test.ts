// SANDBOX-ONLY: fault switches and persistence of the local Stripe sandbox. Real Stripe
// has no such switches, so these tests are skipped (only) when the suite runs against
// real Stripe test mode (STRIPE_CONFORMANCE_SECRET_KEY set). The default run executes them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import Stripe from 'stripe';
import { realStripe, sandboxClient, startEndpoint, startSandbox, stripeError, uid, useStripe, waitFor, NO_REDIRECTS } from './harness.ts';

const ctx = useStripe();
const sandboxTest = test.skipIf(realStripe);

const OFF = {
  rateLimitPerSecond: null,
  failureRate: 0,
  lostResponseRate: 0,
  webhookDuplicates: 0,
  webhookConcurrent: false,
  webhookShuffle: false,
  webhookDelayMs: 0,
  webhookParallel: 1,
} as const;

afterEach(async () => {
  if (ctx.sandbox) await ctx.sandbox.configure(OFF);
});

sandboxTest('rateLimitPerSecond: requests past the limit get 429 StripeRateLimitError', async () => {
  await ctx.sandbox!.configure({ rateLimitPerSecond: 5 });
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => ctx.stripe.customers.list({ limit: 1 })));
  const ok = results.filter((r) => r.status === 'fulfilled');
  const limited = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(ok.length).toBeGreaterThanOrEqual(1);
  expect(ok.length).toBeLessThanOrEqual(10);
  expect(limited.length).toBeGreaterThanOrEqual(10);
  for (const r of limited) {
    expect(r.reason).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect((r.reason as Stripe.errors.StripeError).statusCode).toBe(429);
  }
  await ctx.sandbox!.configure({ rateLimitPerSecond: null });
  await new Promise((r) => setTimeout(r, 1100));
  await expect(ctx.stripe.customers.list({ limit: 1 })).resolves.toMatchObject({ object: 'list' });
});

sandboxTest('failureRate 1: every call is a 500 StripeAPIError and nothing is created', async () => {
  const email = `${uid('fail')}@example.com`;
  await ctx.sandbox!.configure({ failureRate: 1 });
  const err = await stripeError(ctx.stripe.customers.create({ email }), Stripe.errors.StripeAPIError);
  expect(err.statusCode).toBe(500);
  expect(err.rawType).toBe('api_error');
  await stripeError(ctx.stripe.customers.create({ email }, { idempotencyKey: uid('k') }), Stripe.errors.StripeAPIError);
  await ctx.sandbox!.configure({ failureRate: 0 });
  expect((await ctx.stripe.customers.list({ email })).data).toEqual([]);
});

sandboxTest('lostResponseRate 1: the call fails with a connection error, the object exists, the same idempotency key returns it', async () => {
  const email = `${uid('lost')}@example.com`;
  const key = uid('lost-');
  await ctx.sandbox!.configure({ lostResponseRate: 1 });
  await stripeError(ctx.stripe.customers.create({ email }, { idempotencyKey: key }), Stripe.errors.StripeConnectionError);
  await ctx.sandbox!.configure({ lostResponseRate: 0 });
  const listed = await ctx.stripe.customers.list({ email });
  expect(listed.data).toHaveLength(1);
  const retried = await ctx.stripe.customers.create({ email }, { idempotencyKey: key });
  expect(retried.id).toBe(listed.data[0]!.id);
  expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
  expect((await ctx.stripe.customers.list({ email })).data).toHaveLength(1);
});

sandboxTest('lostResponseRate 1 on a payment: retrying with the key does not charge twice', async () => {
  const key = uid('pay-');
  const params: Stripe.PaymentIntentCreateParams = {
    amount: 1300,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    ...NO_REDIRECTS,
    confirm: true,
    metadata: { attempt: key },
  };
  await ctx.sandbox!.configure({ lostResponseRate: 1 });
  await stripeError(ctx.stripe.paymentIntents.create(params, { idempotencyKey: key }), Stripe.errors.StripeConnectionError);
  await ctx.sandbox!.configure({ lostResponseRate: 0 });
  const pi = await ctx.stripe.paymentIntents.create(params, { idempotencyKey: key });
  expect(pi.status).toBe('succeeded');
  const charges = await ctx.stripe.charges.list({ payment_intent: pi.id });
  expect(charges.data).toHaveLength(1);
});

sandboxTest('webhookDuplicates 1: the same event id is delivered twice, both signed correctly', async () => {
  await ctx.sandbox!.configure({ webhookDuplicates: 1 });
  const customer = await ctx.stripe.customers.create({ email: `${uid('dup')}@example.com` });
  const copies = await waitFor(() => {
    const d = ctx.webhooks.deliveries.filter((x) => x.event.type === 'customer.created' && (x.event.data.object as Stripe.Customer).id === customer.id);
    return d.length >= 2 ? d : null;
  });
  expect(copies[0]!.event.id).toBe(copies[1]!.event.id);
  expect(copies[1]!.rawBody).toBe(copies[0]!.rawBody);
  expect(ctx.webhooks.rejected).toEqual([]);
  await ctx.sandbox!.flushWebhooks();
  expect(ctx.webhooks.events().filter((e) => e.type === 'customer.created' && (e.data.object as Stripe.Customer).id === customer.id)).toHaveLength(1);
});

/** An endpoint for customer.created that answers after `delayMs` and counts the deliveries it has in flight at once. */
async function slowEndpoint(delayMs: number) {
  let inFlight = 0;
  let maxInFlight = 0;
  const receiver = await startEndpoint(ctx.stripe, {
    enabledEvents: ['customer.created'],
    respond: async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, delayMs));
      inFlight--;
      return 200;
    },
  });
  return { receiver, maxInFlight: () => maxInFlight };
}

sandboxTest('webhookConcurrent: duplicate copies overlap in time', async () => {
  const { receiver: slow, maxInFlight } = await slowEndpoint(150);
  try {
    await ctx.sandbox!.configure({ webhookDuplicates: 1, webhookConcurrent: true });
    const customer = await ctx.stripe.customers.create({ email: `${uid('conc')}@example.com` });
    await waitFor(() => slow.deliveries.filter((d) => (d.event.data.object as Stripe.Customer).id === customer.id).length >= 2);
    expect(maxInFlight()).toBe(2);
  } finally {
    await ctx.stripe.webhookEndpoints.del(slow.endpoint!.id);
    await slow.close();
  }
});

sandboxTest('webhookParallel: up to N deliveries to one endpoint at once, every event once; one at a time by default', async () => {
  const { receiver: slow, maxInFlight } = await slowEndpoint(60);
  const created = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await ctx.stripe.customers.create({ name: `parallel ${i}` })).id);
    await ctx.sandbox!.flushWebhooks();
    return ids;
  };
  const arrived = (ids: string[]) => slow.events().map((e) => (e.data.object as Stripe.Customer).id).filter((id) => ids.includes(id));
  try {
    const serial = await created(4);
    expect(maxInFlight()).toBe(1);
    expect(arrived(serial)).toEqual(serial);

    await ctx.sandbox!.configure({ webhookParallel: 3 });
    const parallel = await created(9);
    expect(maxInFlight()).toBe(3);
    expect([...arrived(parallel)].sort()).toEqual([...parallel].sort());
    const bad = await fetch(`${ctx.sandbox!.url}/v1/_sandbox/switches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webhookParallel: 0 }) });
    expect(bad.status).toBe(400);
  } finally {
    await ctx.stripe.webhookEndpoints.del(slow.endpoint!.id);
    await slow.close();
  }
});

sandboxTest('webhookShuffle: queued events arrive complete but not in creation order', async () => {
  const shuffled = await startEndpoint(ctx.stripe, { enabledEvents: ['customer.created'] });
  try {
    await ctx.sandbox!.configure({ webhookShuffle: true, webhookDelayMs: 300 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await ctx.stripe.customers.create({ name: `shuffle ${i}` })).id);
    await ctx.sandbox!.configure({ webhookDelayMs: 0 });
    const arrived = await waitFor(() => {
      const got = shuffled.events().map((e) => (e.data.object as Stripe.Customer).id);
      return got.length >= ids.length ? got : null;
    });
    expect([...arrived].sort()).toEqual([...ids].sort());
    expect(arrived).not.toEqual(ids);
  } finally {
    await ctx.stripe.webhookEndpoints.del(shuffled.endpoint!.id);
    await shuffled.close();
  }
});

sandboxTest('webhookDelayMs delays the first delivery', async () => {
  await ctx.sandbox!.configure({ webhookDelayMs: 400 });
  const started = Date.now();
  const customer = await ctx.stripe.customers.create({ name: 'delayed' });
  const event = await ctx.webhooks.waitForEvent('customer.created', (e) => (e.data.object as Stripe.Customer).id === customer.id);
  const delivery = ctx.webhooks.deliveries.find((d) => d.event.id === event.id)!;
  expect(delivery.receivedAt - started).toBeGreaterThanOrEqual(350);
});

sandboxTest('flushWebhooks resolves once pending deliveries are done', async () => {
  const customer = await ctx.stripe.customers.create({ name: 'flushed' });
  await ctx.sandbox!.flushWebhooks();
  expect(ctx.webhooks.events().some((e) => e.type === 'customer.created' && (e.data.object as Stripe.Customer).id === customer.id)).toBe(true);
});

sandboxTest('state survives a restart on the same dataDir', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'stripe-sandbox-'));
  try {
    const first = await startSandbox({ dataDir: dir });
    const a = sandboxClient(first);
    const customer = await a.customers.create({ email: 'persisted@example.com', metadata: { k: 'v' } });
    const pi = await a.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', ...NO_REDIRECTS, confirm: true });
    const key = uid('persist-');
    await a.customers.create({ email: 'idem@example.com' }, { idempotencyKey: key });
    await first.close();

    const second = await startSandbox({ dataDir: dir });
    try {
      const b = sandboxClient(second);
      const again = await b.customers.retrieve(customer.id);
      expect(again).toMatchObject({ id: customer.id, email: 'persisted@example.com', metadata: { k: 'v' } });
      const piAgain = await b.paymentIntents.retrieve(pi.id);
      expect(piAgain.status).toBe('succeeded');
      const replay = await b.customers.create({ email: 'idem@example.com' }, { idempotencyKey: key });
      expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
      const fresh = await b.customers.create({ email: 'new@example.com' });
      expect(fresh.id).not.toBe(customer.id);
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
