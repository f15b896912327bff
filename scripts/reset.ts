/**
 * npm run db:reset — starts over: drops every table (or, for the embedded
 * database, deletes its data directory), migrates and seeds again.
 * Refuses to run with NODE_ENV=production.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase } from './lib/database.ts';
import { dataDir, loadDotEnv, runMain, say } from './lib/cli.ts';
import { withAppContext } from './lib/operations.ts';

loadDotEnv();
runMain(async () => {
  if (process.env.NODE_ENV === 'production') throw new Error('db:reset refuses to run with NODE_ENV=production.');
  const args = process.argv.slice(2);
  if (args.length > 0) throw new Error(`Unknown argument ${args[0]}. Usage: npm run db:reset`);
  if (process.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query('drop schema if exists public cascade; drop schema if exists graphile_worker cascade; create schema public;');
    await client.end();
    say('Dropped every table in DATABASE_URL.');
  } else {
    const probe = await ensureDatabase({ dataDir: dataDir(), log: () => {} });
    await probe.stop();
    if (!probe.ownedByThisProcess) throw new Error('The embedded database is in use (is `npm run dev` running?). Stop it first, then run db:reset.');
    for (const folder of ['postgres', 'outbox', 'stripe-sandbox']) await fs.rm(path.join(dataDir(), folder), { recursive: true, force: true });
    say(`Deleted ${dataDir()}: the embedded database starts fresh.`);
  }
  await withAppContext({ migrate: true, stripe: true }, async () => {
    const { seedDemoData } = await import('./lib/seed-data.ts');
    await seedDemoData(say);
  });
});
