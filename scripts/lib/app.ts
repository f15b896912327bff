import http from 'node:http';
import path from 'node:path';
import { ensureDatabase, type DatabaseHandle } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { dataDir, defaultAppUrl, repoRoot, say } from './cli.ts';
import { ensureStripe } from './stripe.ts';

export type RunningApp = { url: string; server: http.Server; stop: () => Promise<void> };

/**
 * Boots one app process: database (env or embedded), migrations, config,
 * HTTP server and (unless WORKER_IN_PROCESS=false) the job worker.
 * Used by `npm run dev`, `npm start` and the browser tests.
 */
export async function startApp(options: {
  mode: 'development' | 'production';
  port?: number;
  seed?: boolean;
  /** Start the Stripe sandbox when no STRIPE_SECRET_KEY is configured (npm run dev). */
  stripeSandbox?: boolean;
  database?: DatabaseHandle;
  log?: (message: string) => void;
}): Promise<RunningApp> {
  const log = options.log ?? say;
  const database = options.database ?? (await ensureDatabase({ dataDir: dataDir(), log }));
  process.env.DATABASE_URL = database.url;
  await migrateToLatest(database.url);
  const stripe =
    options.stripeSandbox
      ? await ensureStripe({ dataDir: dataDir(), appUrl: options.port ? `http://localhost:${options.port}` : defaultAppUrl(), log })
      : { stop: async () => {} };

  // App modules read configuration when first imported, so they are loaded only now.
  const { env, ConfigError } = await import('#app/core/env.server.ts');
  try {
    env();
  } catch (error) {
    await stripe.stop();
    await database.stop();
    throw error instanceof ConfigError ? error : new Error(`Configuration failed: ${String(error)}`);
  }
  const config = env();
  if (options.seed) {
    const { seedDemoData } = await import('./seed-data.ts');
    await seedDemoData(log);
  }

  const { createExpressApp } = await import('#app/core/express.server.ts');
  const { withWebhooks } = await import('#app/core/webhooks.server.ts');
  const { pool } = await import('#app/core/db.server.ts');
  const server = http.createServer();
  let closeVite = async () => {};
  if (options.mode === 'development') {
    const { createServer } = await import('vite');
    const vite = await createServer({ root: repoRoot, server: { middlewareMode: true, hmr: { server } }, appType: 'custom' });
    closeVite = () => vite.close();
    server.on('request', withWebhooks(await createExpressApp({ mode: 'development', vite })));
  } else {
    server.on('request', withWebhooks(await createExpressApp({ mode: 'production', buildDir: path.join(repoRoot, 'build') })));
  }

  let stopWorker = async () => {};
  if (config.WORKER_IN_PROCESS) {
    const { startWorker } = await import('#app/core/jobs.server.ts');
    const { taskList } = await import('#app/tasks.server.ts');
    const runner = await startWorker({ pool, taskList, concurrency: config.WORKER_CONCURRENCY });
    stopWorker = () => runner.stop();
  }

  const port = options.port ?? config.PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = port === 0 ? `http://localhost:${actualPort}` : config.APP_URL;

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await stopWorker();
      await closeVite();
      await pool.end();
      await stripe.stop();
      await database.stop();
    })());
  return { url, server, stop };
}

/** Stops cleanly on Ctrl-C or a termination signal. */
export function stopOnSignals(app: RunningApp): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say('Shutting down…');
      app.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
