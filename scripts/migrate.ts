/** npm run db:migrate — applies db/migrations to DATABASE_URL (or the embedded database). */
import { ensureDatabase } from './lib/database.ts';
import { migrateToLatest } from './lib/migrate.ts';
import { dataDir, loadDotEnv, runMain, say } from './lib/cli.ts';

loadDotEnv();
runMain(async () => {
  if (process.argv.length > 2) throw new Error(`Unknown argument ${process.argv[2]}. Usage: npm run db:migrate`);
  const database = await ensureDatabase({ dataDir: dataDir(), log: say });
  try {
    await migrateToLatest(database.url, say);
    say('Database is up to date.');
  } finally {
    await database.stop();
  }
});
