/** npm run db:seed — adds the demo accounts and Ada's demo project (idempotent). */
import { ensureDatabase } from './lib/database.ts';
import { migrateToLatest } from './lib/migrate.ts';
import { dataDir, defaultAppUrl, loadDotEnv, runMain, say } from './lib/cli.ts';
import { ensureStripe } from './lib/stripe.ts';

loadDotEnv();
runMain(async () => {
  if (process.argv.length > 2) throw new Error(`Unknown argument ${process.argv[2]}. Usage: npm run db:seed`);
  const database = await ensureDatabase({ dataDir: dataDir(), log: say });
  process.env.DATABASE_URL = database.url;
  try {
    await migrateToLatest(database.url);
    // Demo tiers have real (sandbox) Stripe prices, so Stripe must be reachable first.
    const stripe = await ensureStripe({ dataDir: dataDir(), appUrl: defaultAppUrl(), log: say });
    const { seedDemoData } = await import('./lib/seed-data.ts');
    const { db } = await import('#app/core/db.server.ts');
    await seedDemoData(say);
    await db.destroy();
    await stripe.stop();
  } finally {
    await database.stop();
  }
});
