/**
 * npm run worker — a job worker without an HTTP server, for scaling jobs out.
 * Any number of these and of app servers can share one database.
 */
import { ensureDatabase } from './lib/database.ts';
import { migrateToLatest } from './lib/migrate.ts';
import { dataDir, loadDotEnv, runMain, say } from './lib/cli.ts';

loadDotEnv();

runMain(async () => {
  const database = await ensureDatabase({ dataDir: dataDir(), log: say });
  process.env.DATABASE_URL = database.url;
  await migrateToLatest(database.url);
  const { env } = await import('#app/core/env.server.ts');
  const { pool } = await import('#app/core/db.server.ts');
  const { startWorker } = await import('#app/core/jobs.server.ts');
  const { taskList } = await import('#app/tasks.server.ts');
  const runner = await startWorker({ pool, taskList, concurrency: env().WORKER_CONCURRENCY });
  say('Worker running (Ctrl-C to stop)');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void runner.stop().then(() => pool.end()).then(() => database.stop()).then(() => process.exit(0)));
  }
  await runner.promise;
});
