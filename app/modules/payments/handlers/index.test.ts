import { readdirSync } from 'node:fs';
import { expect, test } from 'vitest';
import { stripeEventHandlers } from './index.server.ts';

test('one handler file per event type, named after it', () => {
  const files = readdirSync(new URL('.', import.meta.url)).filter((name) => /^[a-z_]+\.[a-z_.]+\.server\.ts$/.test(name) && name.split('.').length > 3);
  const named = files.map((name) => name.replace(/\.server\.ts$/, '')).sort();
  expect(Object.keys(stripeEventHandlers).sort()).toEqual(named);
});

test('the events MONEY.md lists for subscriptions are handled; invoice.payment_succeeded (a duplicate of invoice.paid) is not', () => {
  for (const type of [
    'checkout.session.completed',
    'checkout.session.expired',
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'invoice.paid',
    'invoice.payment_failed',
    'invoice.payment_action_required',
    'charge.succeeded',
    'charge.updated',
  ]) {
    expect(stripeEventHandlers[type], type).toBeTypeOf('function');
  }
  expect(stripeEventHandlers['invoice.payment_succeeded']).toBeUndefined();
});
