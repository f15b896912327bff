/**
 * Stripe sandbox: a local, stateful server speaking the subset of Stripe's REST API (version
 * 2026-10-28.endive) that Makerfund uses, with hosted pages and signed webhooks.
 *
 *   const sandbox = await startStripeSandbox({ port: 0 });
 *   const stripe = new Stripe('sk_test_123', sandbox.stripeConfig);
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SWITCHES, Engine, type SandboxSwitches } from './engine.ts';
import { createHandler } from './router.ts';
import { WebhookDispatcher } from './webhooks.ts';
import { Ticker } from './scheduler.ts';
import { emptyState } from './store.ts';
import { advanceClock } from './test-clocks.ts';
import { allPages, allRoutes } from './modules.ts';

export type { SandboxSwitches } from './engine.ts';

export type SandboxOptions = {
  /** 0 = random free port; default 12111. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Where state persists (JSON); null or undefined = memory only (tests). */
  dataDir?: string | null;
  /** @deprecated not used: use feeBasisPoints. */
  feePercent?: number;
  /** Stripe fee in basis points, default 290 (2.9%). */
  feeBasisPoints?: number;
  /** Fixed Stripe fee in minor units, default 30. */
  feeFixed?: number;
  /** Delays between webhook delivery attempts; attempts = 1 + length. */
  webhookRetryDelaysMs?: number[];
  log?: (msg: string) => void;
  /** Initial fault switches. */
  switches?: Partial<SandboxSwitches>;
};

export type StripeSandbox = {
  url: string;
  host: string;
  port: number;
  protocol: 'http';
  /** Spread into `new Stripe(key, { ...sandbox.stripeConfig })`. */
  stripeConfig: { host: string; port: number; protocol: 'http' };
  /** Same as POST /v1/_sandbox/switches. */
  configure(switches: Partial<SandboxSwitches>): void;
  /** Resolves when every pending delivery (incl. retries due now) has been attempted and none is in flight. */
  flushWebhooks(): Promise<void>;
  /** Persists state, stops timers and the server. */
  close(): Promise<void>;
};

export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS = [
  1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 43_200_000, 86_400_000, 86_400_000,
];

export async function startStripeSandbox(options: SandboxOptions = {}): Promise<StripeSandbox> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const engine = new Engine(
    {
      feeBasisPoints: options.feeBasisPoints ?? 290,
      feeFixed: options.feeFixed ?? 30,
      webhookRetryDelaysMs: options.webhookRetryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
      log,
      dataDir: options.dataDir ?? null,
    },
    { ...DEFAULT_SWITCHES, ...options.switches },
  );
  const dispatcher = new WebhookDispatcher(engine);
  engine.onEvent = (id) => dispatcher.enqueue(id);
  const ticker = new Ticker(engine);

  const server: Server = createServer(
    createHandler({
      engine,
      routes: allRoutes,
      pages: allPages,
      flushWebhooks: () => dispatcher.flush(),
      reset: () => {
        engine.store.state = emptyState();
        engine.changed();
      },
    }),
  );
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 12111, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;

  // Hosted-page URLs stored in objects carry the base URL: follow a port change after restart.
  const state = engine.store.state as typeof engine.store.state & { baseUrl?: string };
  if (state.baseUrl && state.baseUrl !== url) {
    const text = JSON.stringify(engine.store.state).split(state.baseUrl).join(url);
    engine.store.state = JSON.parse(text) as typeof engine.store.state;
  }
  (engine.store.state as typeof state).baseUrl = url;
  engine.baseUrl = url;

  // Resume what a previous run left half-done.
  for (const clock of engine.store.all('test_helpers.test_clock')) {
    const target = (clock.status_details as { advancing?: { target_frozen_time: number } }).advancing?.target_frozen_time;
    if (clock.status === 'advancing' && target) advanceClock(engine, clock, target);
  }
  ticker.start();
  dispatcher.kick();

  let closed = false;
  return {
    url,
    host,
    port,
    protocol: 'http',
    stripeConfig: { host, port, protocol: 'http' },
    configure(switches) {
      engine.switches = { ...engine.switches, ...switches };
    },
    flushWebhooks: () => dispatcher.flush(),
    async close() {
      if (closed) return;
      closed = true;
      ticker.stop();
      await dispatcher.close();
      engine.persister.saveNow();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
