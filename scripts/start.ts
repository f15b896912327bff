/**
 * npm start — production server from `npm run build`. Run as many as you like
 * on one PostgreSQL; set WORKER_IN_PROCESS=false and run `npm run worker`
 * separately to scale jobs on their own.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadDotEnv, repoRoot, runMain, say } from './lib/cli.ts';
import { startApp, stopOnSignals } from './lib/app.ts';

loadDotEnv();
process.env.NODE_ENV = 'production';

runMain(async () => {
  if (!existsSync(path.join(repoRoot, 'build/server/index.js'))) throw new Error('No build found: run `npm run build` first.');
  const app = await startApp({ mode: 'production' });
  stopOnSignals(app);
  say(`Makerfund listening at ${app.url}`);
  await new Promise(() => {});
});
