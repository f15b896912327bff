import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import Stripe from 'stripe';
import { inject } from 'vitest';
import { createDatabase, dropDatabase } from '../../scripts/lib/database.ts';
import { repoRoot } from '../../scripts/lib/cli.ts';
import { startStripeSandbox, type StripeSandbox } from '../../scripts/stripe-sandbox/index.ts';
import { freePort } from '../../scripts/lib/net.ts';

export const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/** Chromium from Debian. A missing browser fails the run: a skipped journey proves nothing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROME_PATH)) {
    throw new Error(`No Chromium at ${CHROME_PATH}. Install it with: apt-get install -y chromium (or set CHROME_PATH).`);
  }
  return chromium.launch({
    executablePath: CHROME_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}


/** The secret key the app under test uses with its own sandbox. */
export const E2E_STRIPE_SECRET_KEY = 'sk_test_makerfund_e2e';

export type RunningServer = {
  url: string;
  dataDir: string;
  databaseUrl: string;
  /**
   * The server's own Stripe sandbox (memory only, fast webhook retries), with a webhook
   * endpoint for the app's /webhooks/stripe. `sandbox.configure({ webhookDelayMs })` holds
   * deliveries back; `sandbox.flushWebhooks()` sends every held one now.
   */
  sandbox: StripeSandbox;
  /** The SDK pointed at that sandbox, with the app's key. */
  stripe: Stripe;
  /** The server's stdout and stderr so far, then the sandbox's log. */
  output: () => string;
  stop: () => Promise<void>;
};

/**
 * Starts the production server as a user would (`node scripts/start.ts`) on a free port with
 * its own database cloned from the migrated template, its own data directory and its own
 * Stripe sandbox. Production refuses to start without Stripe, so every server gets one: the
 * port is chosen first, the webhook endpoint registered through the API as with Stripe, then
 * STRIPE_SECRET_KEY, STRIPE_API_BASE and STRIPE_WEBHOOK_SECRETS are handed to the server. The
 * job worker runs in the server process (WORKER_IN_PROCESS defaults to true), so webhooks are
 * processed as in production. `extraEnv` overrides any of it.
 */
export async function startProductionServer(extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  if (!existsSync(path.join(repoRoot, 'build/server/index.js'))) throw new Error('No production build: run `npm run build` before the browser tests.');
  const serverUrl = inject('databaseServerUrl');
  const name = `makerfund_e2e_${process.pid}_${Date.now()}`;
  const port = await freePort();
  const url = `http://localhost:${port}`;
  let output = '';
  let sandboxLog = '';

  const sandbox = await startStripeSandbox({ port: 0, dataDir: null, webhookRetryDelaysMs: [100, 300, 1000], log: (line) => (sandboxLog += `${line}\n`) });
  const stripe = new Stripe(E2E_STRIPE_SECRET_KEY, { ...sandbox.stripeConfig, maxNetworkRetries: 0, telemetry: false });
  let databaseUrl: string | undefined;
  let dataDir: string | undefined;
  let child: ChildProcess | undefined;

  async function stop(): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await sandbox.close();
    if (databaseUrl) await dropDatabase(serverUrl, name);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }

  try {
    const endpoint = await stripe.webhookEndpoints.create({ url: `${url}/webhooks/stripe`, enabled_events: ['*'] });
    databaseUrl = await createDatabase(serverUrl, name, inject('templateDatabase'));
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'makerfund-e2e-'));
    child = spawn(process.execPath, ['scripts/start.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        APP_URL: url,
        DATABASE_URL: databaseUrl,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        STRIPE_SECRET_KEY: E2E_STRIPE_SECRET_KEY,
        STRIPE_API_BASE: sandbox.url,
        STRIPE_WEBHOOK_SECRETS: endpoint.secret as string,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => (output += String(chunk)));
    child.stderr?.on('data', (chunk) => (output += String(chunk)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`The server exited early:\n${output}`);
      const ok = await fetch(`${url}/healthz`).then((response) => response.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`The server did not become healthy in 30 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    dataDir,
    databaseUrl,
    sandbox,
    stripe,
    output: () => (sandboxLog ? `${output}\n--- Stripe sandbox ---\n${sandboxLog}` : output),
    stop,
  };
}
