import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Stripe from 'stripe';
import type { StripeSandbox } from '../stripe-sandbox/index.ts';

export const SANDBOX_SECRET_KEY = 'sk_test_makerfund_sandbox';

export type StripeHandle = { sandbox: StripeSandbox | null; stop: () => Promise<void> };

/**
 * With STRIPE_SECRET_KEY set, the app talks to real Stripe and this does nothing.
 * Without it: starts the Stripe sandbox (or reuses one already listening on
 * STRIPE_SANDBOX_PORT), registers the app's webhook endpoints through the API
 * as one would with Stripe, and points the app's configuration at it.
 */
export async function ensureStripe(options: { dataDir: string; appUrl: string; log: (message: string) => void }): Promise<StripeHandle> {
  if (process.env.STRIPE_SECRET_KEY) {
    options.log('Using the Stripe account of STRIPE_SECRET_KEY');
    return { sandbox: null, stop: async () => {} };
  }
  const port = Number(process.env.STRIPE_SANDBOX_PORT ?? 12111);
  const running = await fetch(`http://127.0.0.1:${port}/v1/customers?limit=1`, { headers: { authorization: `Bearer ${SANDBOX_SECRET_KEY}` } }).then(
    (response) => response.ok,
    () => false,
  );
  // Loaded only when needed: production servers never load the sandbox.
  const { startStripeSandbox } = await import('../stripe-sandbox/index.ts');
  const sandbox = running ? null : await startStripeSandbox({ port, dataDir: path.join(options.dataDir, 'stripe-sandbox') });
  const base = sandbox?.url ?? `http://127.0.0.1:${port}`;
  options.log(running ? `Using the Stripe sandbox already running at ${base}` : `Stripe sandbox listening at ${base}`);

  const url = new URL(base);
  const stripe = new Stripe(SANDBOX_SECRET_KEY, { host: url.hostname, port: Number(url.port), protocol: 'http' });
  const webhookUrl = `${options.appUrl}/webhooks/stripe`;
  const secrets = await Promise.all([
    ensureEndpoint(stripe, options.dataDir, webhookUrl, false),
    ensureEndpoint(stripe, options.dataDir, webhookUrl, true),
  ]);
  process.env.STRIPE_SECRET_KEY = SANDBOX_SECRET_KEY;
  process.env.STRIPE_API_BASE = base;
  process.env.STRIPE_WEBHOOK_SECRETS = secrets.join(',');
  return { sandbox, stop: async () => sandbox?.close() };
}

/**
 * Stripe reveals an endpoint's secret only when it is created, so we keep it
 * beside the sandbox's state; if it is lost, the endpoint is replaced.
 */
async function ensureEndpoint(stripe: Stripe, dataDir: string, webhookUrl: string, connect: boolean): Promise<string> {
  const file = path.join(dataDir, `stripe-webhook-${connect ? 'connect' : 'platform'}.json`);
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { id: string; secret: string; url: string }) : null;
  const endpoints = await stripe.webhookEndpoints.list({ limit: 100 });
  const matching = endpoints.data.find((endpoint) => endpoint.id === saved?.id && endpoint.url === webhookUrl);
  if (matching && saved) return saved.secret;
  for (const endpoint of endpoints.data) {
    const isConnect = (endpoint as { application?: unknown }).application != null || endpoint.metadata?.connect === 'true';
    if (endpoint.url === webhookUrl && isConnect === connect) await stripe.webhookEndpoints.del(endpoint.id);
  }
  const created = await stripe.webhookEndpoints.create({ url: webhookUrl, enabled_events: ['*'], connect, metadata: { connect: String(connect) } });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify({ id: created.id, secret: created.secret, url: webhookUrl }));
  return created.secret as string;
}
