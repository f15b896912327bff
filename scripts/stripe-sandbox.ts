/**
 * `npm run stripe:sandbox` — runs the local Stripe sandbox (see scripts/stripe-sandbox/README.md).
 *
 * Env: STRIPE_SANDBOX_PORT (default 12111), STRIPE_SANDBOX_HOST (127.0.0.1),
 * STRIPE_SANDBOX_DATA_DIR ($DATA_DIR/stripe-sandbox, DATA_DIR defaulting to .data), STRIPE_SANDBOX_FEE_BASIS_POINTS (290),
 * STRIPE_SANDBOX_FEE_FIXED (30), and the fault switches STRIPE_SANDBOX_RATE_LIMIT,
 * STRIPE_SANDBOX_FAILURE_RATE, STRIPE_SANDBOX_LOST_RESPONSE_RATE, STRIPE_SANDBOX_WEBHOOK_DUPLICATES,
 * STRIPE_SANDBOX_WEBHOOK_CONCURRENT, STRIPE_SANDBOX_WEBHOOK_SHUFFLE, STRIPE_SANDBOX_WEBHOOK_DELAY_MS,
 * STRIPE_SANDBOX_WEBHOOK_PARALLEL, STRIPE_SANDBOX_PAYOUT_FAILURE, STRIPE_SANDBOX_INVOICE_RETRY_DAYS (e.g. "3,5,7"),
 * STRIPE_SANDBOX_AFTER_FINAL_RETRY (cancel|unpaid|past_due), STRIPE_SANDBOX_ENFORCE_BALANCE.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStripeSandbox, type SandboxSwitches } from './stripe-sandbox/index.ts';
import { parseSwitches } from './stripe-sandbox/router.ts';

const ENV_SWITCHES: Record<string, keyof SandboxSwitches> = {
  STRIPE_SANDBOX_RATE_LIMIT: 'rateLimitPerSecond',
  STRIPE_SANDBOX_FAILURE_RATE: 'failureRate',
  STRIPE_SANDBOX_LOST_RESPONSE_RATE: 'lostResponseRate',
  STRIPE_SANDBOX_WEBHOOK_DUPLICATES: 'webhookDuplicates',
  STRIPE_SANDBOX_WEBHOOK_CONCURRENT: 'webhookConcurrent',
  STRIPE_SANDBOX_WEBHOOK_SHUFFLE: 'webhookShuffle',
  STRIPE_SANDBOX_WEBHOOK_DELAY_MS: 'webhookDelayMs',
  STRIPE_SANDBOX_WEBHOOK_PARALLEL: 'webhookParallel',
  STRIPE_SANDBOX_PAYOUT_FAILURE: 'payoutFailure',
  STRIPE_SANDBOX_INVOICE_RETRY_DAYS: 'invoiceRetryDays',
  STRIPE_SANDBOX_AFTER_FINAL_RETRY: 'afterFinalRetry',
  STRIPE_SANDBOX_ENFORCE_BALANCE: 'enforceBalance',
};

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

async function main(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const rawSwitches: Record<string, unknown> = {};
  for (const [env, key] of Object.entries(ENV_SWITCHES)) {
    const v = process.env[env];
    if (v !== undefined && v !== '') rawSwitches[key] = v;
  }
  // Beside the app's other local state (DATA_DIR), where `npm run dev` keeps it too.
  const dataDir = process.env['STRIPE_SANDBOX_DATA_DIR'] ?? resolve(root, process.env['DATA_DIR'] || '.data', 'stripe-sandbox');
  const sandbox = await startStripeSandbox({
    port: envNumber('STRIPE_SANDBOX_PORT') ?? 12111,
    host: process.env['STRIPE_SANDBOX_HOST'] || '127.0.0.1',
    dataDir: dataDir === 'memory' ? null : resolve(root, dataDir),
    feeBasisPoints: envNumber('STRIPE_SANDBOX_FEE_BASIS_POINTS'),
    feeFixed: envNumber('STRIPE_SANDBOX_FEE_FIXED'),
    switches: parseSwitches(rawSwitches),
    log: (msg) => console.log(msg),
  });
  console.log(`Stripe sandbox listening at ${sandbox.url}`);
  console.log(`  state: ${dataDir === 'memory' ? 'memory only' : resolve(root, dataDir)}`);
  console.log(`  use it: new Stripe('sk_test_…', { host: '${sandbox.host}', port: ${sandbox.port}, protocol: 'http' })`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`Stripe sandbox: ${signal}, saving state and stopping`);
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
