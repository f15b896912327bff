// Webhook endpoints, signatures and retries as Stripe documents them:
// Stripe-Signature: t=<unix>,v1=<hex hmac-sha256 of "t.body" with the endpoint secret>.
import { createHmac } from 'node:crypto';
import { expect, test } from 'vitest';
import Stripe from 'stripe';
import { realStripe, startEndpoint, stripeError, uid, useStripe, waitFor } from './harness.ts';

const ctx = useStripe();

async function deliveredCustomerEvent() {
  const customer = await ctx.stripe.customers.create({ email: `${uid('wh')}@example.com` });
  await ctx.webhooks.waitForEvent('customer.created', (e) => (e.data.object as Stripe.Customer).id === customer.id);
  const delivery = ctx.webhooks.deliveries.find((d) => d.event.type === 'customer.created' && (d.event.data.object as Stripe.Customer).id === customer.id)!;
  return { customer, delivery };
}

test('webhook endpoint: created with a whsec_ secret, retrievable without it, listed, deletable', async () => {
  const endpoint = await ctx.stripe.webhookEndpoints.create({
    url: 'https://makerfund.test/stripe/webhook',
    enabled_events: ['invoice.paid', 'customer.subscription.deleted'],
    description: 'conformance',
    metadata: { env: 'test' },
  });
  expect(endpoint.id).toMatch(/^we_/);
  expect(endpoint).toMatchObject({
    object: 'webhook_endpoint',
    url: 'https://makerfund.test/stripe/webhook',
    enabled_events: ['invoice.paid', 'customer.subscription.deleted'],
    status: 'enabled',
    description: 'conformance',
    metadata: { env: 'test' },
    livemode: false,
  });
  expect(endpoint.secret).toMatch(/^whsec_/);
  const retrieved = await ctx.stripe.webhookEndpoints.retrieve(endpoint.id);
  expect(retrieved.secret).toBeUndefined();
  expect(retrieved.url).toBe(endpoint.url);
  const list = await ctx.stripe.webhookEndpoints.list({ limit: 100 });
  expect(list.data.map((e) => e.id)).toContain(endpoint.id);
  const disabled = await ctx.stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
  expect(disabled.status).toBe('disabled');
  const deleted = await ctx.stripe.webhookEndpoints.del(endpoint.id);
  expect(deleted).toMatchObject({ id: endpoint.id, object: 'webhook_endpoint', deleted: true });
});

test('a delivered event verifies with constructEvent and the endpoint secret; the header has t= and v1=', async () => {
  const { delivery } = await deliveredCustomerEvent();
  expect(ctx.webhooks.rejected).toEqual([]);
  const verified = ctx.stripe.webhooks.constructEvent(delivery.rawBody, delivery.header, ctx.webhooks.secret);
  expect(verified.id).toBe(delivery.event.id);
  const parts = Object.fromEntries(delivery.header.split(',').map((kv) => kv.split('=') as [string, string]));
  expect(parts.t).toMatch(/^\d+$/);
  expect(Math.abs(Number(parts.t) - Date.now() / 1000)).toBeLessThan(300);
  const expected = createHmac('sha256', ctx.webhooks.secret).update(`${parts.t}.${delivery.rawBody}`).digest('hex');
  expect(delivery.header.split(',')).toContain(`v1=${expected}`);
});

test('the same body with one changed byte is rejected', async () => {
  const { delivery } = await deliveredCustomerEvent();
  const i = delivery.rawBody.indexOf('"customer"');
  const tampered = delivery.rawBody.slice(0, i + 1) + 'C' + delivery.rawBody.slice(i + 2);
  expect(tampered).not.toBe(delivery.rawBody);
  expect(tampered.length).toBe(delivery.rawBody.length);
  expect(() => ctx.stripe.webhooks.constructEvent(tampered, delivery.header, ctx.webhooks.secret)).toThrow(
    Stripe.errors.StripeSignatureVerificationError,
  );
});

test('a different secret is rejected', async () => {
  const { delivery } = await deliveredCustomerEvent();
  expect(() => ctx.stripe.webhooks.constructEvent(delivery.rawBody, delivery.header, 'whsec_not_the_right_secret')).toThrow(
    Stripe.errors.StripeSignatureVerificationError,
  );
  expect(() => ctx.stripe.webhooks.constructEvent(delivery.rawBody, delivery.header, ctx.connectWebhooks.secret)).toThrow(
    Stripe.errors.StripeSignatureVerificationError,
  );
  expect(ctx.webhooks.secret).not.toBe(ctx.connectWebhooks.secret);
});

test('a signature older than 300 s is rejected; a fresh one over the same body passes', async () => {
  const { delivery } = await deliveredCustomerEvent();
  const secret = ctx.webhooks.secret;
  const now = Math.floor(Date.now() / 1000);
  const old = ctx.stripe.webhooks.generateTestHeaderString({ payload: delivery.rawBody, secret, timestamp: now - 301 });
  expect(() => ctx.stripe.webhooks.constructEvent(delivery.rawBody, old, secret)).toThrow(/Timestamp outside the tolerance zone/);
  const fresh = ctx.stripe.webhooks.generateTestHeaderString({ payload: delivery.rawBody, secret, timestamp: now - 10 });
  expect(ctx.stripe.webhooks.constructEvent(delivery.rawBody, fresh, secret).id).toBe(delivery.event.id);
  // The delivery's own header is replayed too late: rejected.
  const t = Number(/t=(\d+)/.exec(delivery.header)![1]);
  expect(() => ctx.stripe.webhooks.constructEvent(delivery.rawBody, delivery.header, secret, 300, undefined, (t + 301) * 1000)).toThrow(
    Stripe.errors.StripeSignatureVerificationError,
  );
});

test('the receiver rejects a forged delivery (no valid v1)', async () => {
  const body = JSON.stringify({ id: 'evt_forged', object: 'event', type: 'invoice.paid', data: { object: {} } });
  const header = ctx.stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_forged' });
  const res = await fetch(ctx.webhooks.localUrl, { method: 'POST', headers: { 'stripe-signature': header, 'content-type': 'application/json' }, body });
  expect(res.status).toBe(400);
  expect(ctx.webhooks.rejected.some((r) => r.rawBody === body)).toBe(true);
  expect(ctx.webhooks.events().some((e) => e.id === 'evt_forged')).toBe(false);
});

test(
  'a receiver that answers 500 the first time gets the same event id again',
  async () => {
    const flaky = await startEndpoint(ctx.stripe, { respond: (_event, index) => (index === 0 ? 500 : 200) });
    try {
      const customer = await ctx.stripe.customers.create({ email: `${uid('retry')}@example.com` });
      const isMine = (e: Stripe.Event) => e.type === 'customer.created' && (e.data.object as Stripe.Customer).id === customer.id;
      const copies = await waitFor(
        () => {
          const d = flaky.deliveries.filter((x) => isMine(x.event));
          return d.length >= 2 ? d : null;
        },
        { timeoutMs: realStripe ? 15 * 60_000 : 10_000, message: () => 'the failed delivery was not retried' },
      );
      expect(copies[0]!.status).toBe(500);
      expect(copies[1]!.status).toBe(200);
      expect(copies[1]!.event.id).toBe(copies[0]!.event.id);
      // The same event again (only pending_webhooks may have changed in between).
      const strip = (raw: string) => ({ ...(JSON.parse(raw) as Record<string, unknown>), pending_webhooks: 0 });
      expect(strip(copies[1]!.rawBody)).toEqual(strip(copies[0]!.rawBody));
      expect(copies[1]!.receivedAt).toBeGreaterThan(copies[0]!.receivedAt);
      // Once answered 2xx it is not delivered again.
      if (ctx.sandbox) await ctx.sandbox.flushWebhooks();
      await new Promise((r) => setTimeout(r, 400));
      expect(flaky.deliveries.filter((x) => isMine(x.event))).toHaveLength(2);
    } finally {
      await ctx.stripe.webhookEndpoints.del(flaky.endpoint!.id);
      await flaky.close();
    }
  },
  realStripe ? 16 * 60_000 : 30_000,
);

test('an endpoint only gets the events it enabled', async () => {
  const only = await startEndpoint(ctx.stripe, { enabledEvents: ['product.created'] });
  try {
    const product = await ctx.stripe.products.create({ name: 'Only products' });
    await only.waitForEvent('product.created', (e) => (e.data.object as Stripe.Product).id === product.id);
    await ctx.stripe.customers.create({ name: 'Not for this endpoint' });
    await ctx.webhooks.waitForEvent('customer.created', (e) => (e.data.object as Stripe.Customer).name === 'Not for this endpoint');
    if (ctx.sandbox) await ctx.sandbox.flushWebhooks();
    expect(only.events().map((e) => e.type)).toEqual(['product.created']);
  } finally {
    await ctx.stripe.webhookEndpoints.del(only.endpoint!.id);
    await only.close();
  }
});

test('a deleted endpoint gets nothing more', async () => {
  const gone = await startEndpoint(ctx.stripe, {});
  await ctx.stripe.webhookEndpoints.del(gone.endpoint!.id);
  const customer = await ctx.stripe.customers.create({ name: 'After delete' });
  await ctx.webhooks.waitForEvent('customer.created', (e) => (e.data.object as Stripe.Customer).id === customer.id);
  if (ctx.sandbox) await ctx.sandbox.flushWebhooks();
  expect(gone.deliveries).toEqual([]);
  await gone.close();
  const err = await stripeError(ctx.stripe.webhookEndpoints.retrieve(gone.endpoint!.id), Stripe.errors.StripeInvalidRequestError);
  expect(err.code).toBe('resource_missing');
});

test('the Connect endpoint gets no events of the platform account itself', async () => {
  const customer = await ctx.stripe.customers.create({ name: 'platform only' });
  await ctx.webhooks.waitForEvent('customer.created', (e) => (e.data.object as Stripe.Customer).id === customer.id);
  if (ctx.sandbox) await ctx.sandbox.flushWebhooks();
  expect(ctx.connectWebhooks.events().some((e) => (e.data.object as { id?: string }).id === customer.id)).toBe(false);
  expect(ctx.connectWebhooks.events().every((e) => typeof e.account === 'string')).toBe(true);
});
