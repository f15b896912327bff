import http from 'node:http';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startStripeSandbox, type StripeSandbox } from '../scripts/stripe-sandbox/index.ts';
import { freePort } from '../scripts/lib/net.ts';
import type { RunningApp } from '../scripts/lib/app.ts';

/**
 * The app-side verifier against what the Stripe sandbox really sends: a second endpoint
 * (a tap) records the exact bytes and Stripe-Signature of each delivery. The app is
 * configured with both endpoints' secrets, as during a secret rotation, so a tapped
 * delivery replayed to the app verifies with the second secret.
 */
type Delivery = { body: Buffer; signature: string };

let sandbox: StripeSandbox;
let stripe: Stripe;
let app: RunningApp;
let tap: http.Server;
const tapped: Delivery[] = [];
let tapSecret = '';
let db: typeof import('#app/core/db.server.ts').db;

beforeAll(async () => {
  sandbox = await startStripeSandbox({ port: 0, dataDir: null, webhookRetryDelaysMs: [50], log: () => {} });
  stripe = new Stripe('sk_test_intake', { ...sandbox.stripeConfig, maxNetworkRetries: 0, telemetry: false });
  tap = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      tapped.push({ body: Buffer.concat(chunks), signature: String(req.headers['stripe-signature']) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => tap.listen(0, '127.0.0.1', resolve));
  const tapPort = (tap.address() as { port: number }).port;
  const port = await freePort();
  const appEndpoint = await stripe.webhookEndpoints.create({ url: `http://localhost:${port}/webhooks/stripe`, enabled_events: ['*'] });
  const tapEndpoint = await stripe.webhookEndpoints.create({ url: `http://127.0.0.1:${tapPort}/`, enabled_events: ['customer.created'] });
  tapSecret = tapEndpoint.secret as string;

  process.env.STRIPE_SECRET_KEY = 'sk_test_intake';
  process.env.STRIPE_API_BASE = sandbox.url;
  process.env.STRIPE_WEBHOOK_SECRETS = `${appEndpoint.secret},${tapSecret}`;
  process.env.APP_URL = `http://localhost:${port}`;
  const { startApp } = await import('../scripts/lib/app.ts');
  app = await startApp({
    mode: 'development',
    port,
    database: { url: process.env.DATABASE_URL as string, embedded: false, ownedByThisProcess: false, stop: async () => {} },
    log: () => {},
  });
  ({ db } = await import('#app/core/db.server.ts'));
});

afterAll(async () => {
  await app?.stop();
  await sandbox?.close();
  await new Promise((resolve) => tap?.close(resolve));
});

async function storedEventIds(): Promise<string[]> {
  return (await db.selectFrom('stripe_events').select('id').orderBy('id').execute()).map((row) => row.id);
}

async function post(body: Buffer | string, signature: string | null): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== null) headers['stripe-signature'] = signature;
  return fetch(`${app.url}/webhooks/stripe`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
}

async function tappedDelivery(): Promise<Delivery & { event: Stripe.Event }> {
  const customer = await stripe.customers.create({ email: `tap-${Date.now()}@example.test` });
  await sandbox.flushWebhooks();
  const delivery = tapped.find((entry) => (JSON.parse(entry.body.toString()) as Stripe.Event).data.object && entry.body.includes(customer.id));
  if (!delivery) throw new Error('The sandbox did not deliver customer.created to the tap');
  return { ...delivery, event: JSON.parse(delivery.body.toString()) as Stripe.Event };
}

test("the sandbox's own deliveries reach the app, verified and stored once", async () => {
  const customer = await stripe.customers.create({ email: 'direct@example.test' });
  await sandbox.flushWebhooks();
  const events = await stripe.events.list({ type: 'customer.created', limit: 10 });
  const event = events.data.find((entry) => (entry.data.object as Stripe.Customer).id === customer.id);
  expect(event).toBeDefined();
  expect(await storedEventIds()).toContain(event!.id);
});

test('a tapped delivery replayed with its own bytes and header verifies against the second (rotated) secret', async () => {
  const { body, signature, event } = await tappedDelivery();
  await db.deleteFrom('stripe_events').where('id', '=', event.id).execute();
  const response = await post(body, signature);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ received: true, duplicate: false });
  const stored = await db.selectFrom('stripe_events').select(['type', 'payload']).where('id', '=', event.id).executeTakeFirstOrThrow();
  expect(stored.type).toBe('customer.created');
  expect(stored.payload).toBe(body.toString()); // byte for byte
  // The same delivery again: 2xx so Stripe stops retrying, and still one row.
  expect(await (await post(body, signature)).json()).toEqual({ received: true, duplicate: true });
});

test('one changed byte, a missing or foreign signature, or an old timestamp: 400 and nothing stored', async () => {
  const { body, signature, event } = await tappedDelivery();
  await db.deleteFrom('stripe_events').execute();
  const altered = Buffer.from(body);
  const index = altered.indexOf('"email":"') + 9;
  altered[index] = altered[index] === 0x61 ? 0x62 : 0x61;
  const oldTimestamp = Math.floor(Date.now() / 1000) - 301;
  const cases: [string, Buffer | string, string | null][] = [
    ['one changed byte', altered, signature],
    ['no Stripe-Signature header', body, null],
    ['an empty header', body, ''],
    ['a secret we do not have', body, stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret: 'whsec_not_ours' })],
    ['a timestamp 301 s old', body, stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret: tapSecret, timestamp: oldTimestamp })],
    ['a signature over other bytes', body, stripe.webhooks.generateTestHeaderString({ payload: `${body.toString()} `, secret: tapSecret })],
  ];
  for (const [name, payload, header] of cases) {
    const response = await post(payload, header);
    expect(response.status, name).toBe(400);
    expect((await response.json()) as { error: string }, name).toHaveProperty('error');
  }
  expect(await storedEventIds()).not.toContain(event.id);
  expect(await storedEventIds()).toEqual([]);
});

test('a correctly signed body that is not an event, or a live-mode event on a test key: 400 and nothing stored', async () => {
  await db.deleteFrom('stripe_events').execute();
  const notJson = '{"id": "evt_broken", ';
  const live = JSON.stringify({ id: 'evt_live_1', object: 'event', type: 'customer.created', livemode: true, created: 1, api_version: '2026-10-28.endive', data: { object: { id: 'cus_1', object: 'customer' } } });
  for (const payload of [notJson, live]) {
    const response = await post(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: tapSecret }));
    expect(response.status, payload).toBe(400);
  }
  expect(await storedEventIds()).toEqual([]);
});

test('the same delivery 100 times at once: one stored event', async () => {
  const { body, signature, event } = await tappedDelivery();
  await db.deleteFrom('stripe_events').execute();
  const responses = await Promise.all(Array.from({ length: 100 }, () => post(body, signature)));
  expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200));
  const bodies = (await Promise.all(responses.map((response) => response.json()))) as { duplicate: boolean }[];
  expect(bodies.filter((entry) => !entry.duplicate)).toHaveLength(1);
  expect(await storedEventIds()).toEqual([event.id]);
});

test('a burst of 60 different events, each delivered twice at once: every one stored once, each delivery told whether it was the first', async () => {
  await db.deleteFrom('stripe_events').execute();
  const events = Array.from({ length: 60 }, (_, index) =>
    JSON.stringify({
      id: `evt_burst_${index}`,
      object: 'event',
      type: 'customer.updated',
      livemode: false,
      created: Math.floor(Date.now() / 1000),
      api_version: '2026-10-28.endive',
      data: { object: { id: `cus_burst_${index}`, object: 'customer' } },
    }),
  );
  const deliveries = events.flatMap((payload) => [payload, payload]).map((payload) => ({ payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret: tapSecret }) }));
  const responses = await Promise.all(deliveries.map(({ payload, signature }) => post(payload, signature)));
  expect(responses.map((response) => response.status)).toEqual(Array(120).fill(200));
  const answers = (await Promise.all(responses.map((response) => response.json()))) as { duplicate: boolean }[];
  const firsts = new Map<string, number>();
  answers.forEach((answer, index) => {
    const id = (JSON.parse(deliveries[index]!.payload) as { id: string }).id;
    if (!answer.duplicate) firsts.set(id, (firsts.get(id) ?? 0) + 1);
  });
  expect([...firsts.values()]).toEqual(Array(60).fill(1));
  expect(await storedEventIds()).toEqual(events.map((payload) => (JSON.parse(payload) as { id: string }).id).sort());
  const stored = await db.selectFrom('stripe_events').select(['id', 'type', 'object_id']).where('id', '=', 'evt_burst_7').executeTakeFirstOrThrow();
  expect(stored).toEqual({ id: 'evt_burst_7', type: 'customer.updated', object_id: 'cus_burst_7' });
});

test('an event type without a handler is stored already processed (ignored); one with a handler goes through the drain', async () => {
  const event = (id: string, type: string) =>
    JSON.stringify({ id, object: 'event', type, livemode: false, created: Math.floor(Date.now() / 1000), api_version: '2026-10-28.endive', data: { object: { id: `obj_${id}`, object: 'x' } } });
  const payloads = [event('evt_kind_unhandled', 'invoice.finalized'), event('evt_kind_handled', 'invoice.paid')];
  for (const payload of payloads) expect((await post(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: tapSecret }))).status).toBe(200);
  const unhandled = await db.selectFrom('stripe_events').select(['outcome', 'processed_at', 'attempts']).where('id', '=', 'evt_kind_unhandled').executeTakeFirstOrThrow();
  expect(unhandled).toMatchObject({ outcome: 'ignored', attempts: 0 });
  expect(unhandled.processed_at).toBeInstanceOf(Date);
  // The handled one waits for the drain (no job worker runs here), whose handler finds none of our ids in it.
  const handled = () => db.selectFrom('stripe_events').select(['outcome', 'processed_at']).where('id', '=', 'evt_kind_handled').executeTakeFirstOrThrow();
  expect(await handled()).toEqual({ outcome: null, processed_at: null });
  const { drainStripeEvents } = await import('#app/modules/payments/event-queue.server.ts');
  await drainStripeEvents(db);
  expect((await handled()).outcome).toBe('not_ours');
});

test('the webhook path refuses other methods, compressed bodies and bodies over 1 MB, storing nothing', async () => {
  await db.deleteFrom('stripe_events').execute();
  const get = await fetch(`${app.url}/webhooks/stripe`);
  expect(get.status).toBe(405);
  expect(get.headers.get('allow')).toBe('POST');
  const payload = JSON.stringify({ id: 'evt_big', object: 'event', type: 'customer.updated', livemode: false, created: Math.floor(Date.now() / 1000), data: { object: { id: 'cus_big', filler: 'x'.repeat(1024 * 1024) } } });
  const big = await post(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: tapSecret }));
  expect(big.status).toBe(413);
  expect(((await big.json()) as { error: string }).error).toMatch(/larger than/);
  const small = JSON.stringify({ id: 'evt_gz', object: 'event', type: 'customer.updated', livemode: false, created: Math.floor(Date.now() / 1000), data: { object: { id: 'cus_gz' } } });
  const gzipped = await fetch(`${app.url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: small, secret: tapSecret }) },
    body: small,
  });
  expect(gzipped.status).toBe(415);
  expect(await storedEventIds()).toEqual([]);
});
