/** npm run db:seed — adds the demo accounts (idempotent). */
import { ensureDatabase } from './lib/database.ts';
import { migrateToLatest } from './lib/migrate.ts';
import { dataDir, loadDotEnv, runMain, say } from './lib/cli.ts';

loadDotEnv();
runMain(async () => {
  if (process.argv.length > 2) throw new Error(`Unknown argument ${process.argv[2]}. Usage: npm run db:seed`);
  const database = await ensureDatabase({ dataDir: dataDir(), log: say });
  process.env.DATABASE_URL = database.url;
  try {
    await migrateToLatest(database.url);
    const { seedDemoData } = await import('./lib/seed-data.ts');
    const { db } = await import('#app/core/db.server.ts');
    await seedDemoData(say);
    await db.destroy();
  } finally {
    await database.stop();
  }
});
