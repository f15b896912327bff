import type { Database } from '#app/core/db.server.ts';
import { dataDir, defaultAppUrl, say } from './cli.ts';
import { ensureDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { ensureStripe } from './stripe.ts';

/**
 * The frame of an operational command: the database (DATABASE_URL or the embedded one),
 * optionally migrated, Stripe (the configured key, or the sandbox), then the command's work
 * with the app's modules loaded — they read configuration on first import, so only now —
 * and everything closed afterwards, whatever happened.
 */
export async function withAppContext<T>(options: { migrate?: boolean; stripe?: boolean }, work: (db: Database) => Promise<T>): Promise<T> {
  const database = await ensureDatabase({ dataDir: dataDir(), log: say });
  process.env.DATABASE_URL = database.url;
  const stripe = options.stripe ? await ensureStripe({ dataDir: dataDir(), appUrl: defaultAppUrl(), log: say }) : null;
  try {
    if (options.migrate) await migrateToLatest(database.url);
    const { db } = await import('#app/core/db.server.ts');
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  } finally {
    await stripe?.stop();
    await database.stop();
  }
}
