import Stripe from 'stripe';
import { expect, test } from 'vitest';
import { verifyStripeEvent, WebhookSignatureError } from './webhook-signature.server.ts';

const signer = new Stripe('sk_test_signer');
const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.created', livemode: false, created: 1, data: { object: { id: 'cus_1' } } });

test('with no secret configured every event is refused (fail closed), however it is signed', () => {
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: 'whsec_any' });
  expect(() => verifyStripeEvent(Buffer.from(payload), header, [])).toThrow(WebhookSignatureError);
  expect(() => verifyStripeEvent(Buffer.from(payload), header, [])).toThrow(/No webhook secret/);
});

test('any of several secrets verifies (rotation); the event comes back parsed', () => {
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: 'whsec_new' });
  expect(verifyStripeEvent(Buffer.from(payload), header, ['whsec_old', 'whsec_new']).id).toBe('evt_1');
  expect(() => verifyStripeEvent(Buffer.from(payload), header, ['whsec_old'])).toThrow(/No signature matches/);
});
