import Stripe from 'stripe';
import { env } from '#app/core/env.server.ts';
import { singleton } from '#app/core/singleton.server.ts';

/**
 * The one Stripe client of the process. With STRIPE_API_BASE set (the local
 * Stripe sandbox) the same SDK talks to that server instead of api.stripe.com:
 * the app's code path is identical either way.
 */
export const stripe = singleton('stripe', () => createStripeClient(env().STRIPE_SECRET_KEY, env().STRIPE_API_BASE));

export function createStripeClient(secretKey: string | undefined, apiBase: string | undefined): Stripe {
  if (!secretKey) {
    // Without a key there is no Stripe to talk to; fail at the first call with a message that says what to do.
    return new Proxy({} as Stripe, {
      get() {
        throw new Error('Stripe is not configured: set STRIPE_SECRET_KEY (or run `npm run dev`, which starts the Stripe sandbox).');
      },
    });
  }
  const base = apiBase ? new URL(apiBase) : null;
  return new Stripe(secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'Makerfund' },
    ...(base
      ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' }
      : {}),
  });
}

export function isLivemode(): boolean {
  return env().STRIPE_SECRET_KEY?.includes('_live_') ?? false;
}
