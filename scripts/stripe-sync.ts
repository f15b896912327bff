/**
 * npm run stripe:sync — the repair the `sync_stripe` job runs every 15 minutes, on demand: reads
 * recent subscriptions and paid invoices (and overdue live pledges) from Stripe and applies them.
 *   npm run stripe:sync [-- --since 2026-11-01T00:00:00Z]   (default: the last 3 days)
 * Exit codes: 0 done, 1 some objects failed (or it could not run), 2 bad arguments.
 */
import { ensureDatabase } from './lib/database.ts';
import { dataDir, loadDotEnv, runMain, say } from './lib/cli.ts';
import { ensureStripe } from './lib/stripe.ts';
import { parseSyncArgs, UsageError } from './lib/stripe-args.ts';

const USAGE = 'Usage: npm run stripe:sync [-- --since <ISO time>]';

let since: Date | null;
try {
  ({ since } = parseSyncArgs(process.argv.slice(2)));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n${USAGE}\n`);
  process.exit(2);
}

loadDotEnv();
runMain(async () => {
  const database = await ensureDatabase({ dataDir: dataDir(), log: say });
  process.env.DATABASE_URL = database.url;
  const stripeHandle = await ensureStripe({ dataDir: dataDir(), appUrl: process.env.APP_URL ?? `http://localhost:${process.env.PORT ?? 3000}`, log: say });
  const { db } = await import('#app/core/db.server.ts');
  const { syncFromStripe } = await import('#app/modules/payments/stripe-sync.server.ts');
  try {
    const report = await syncFromStripe(db, since ? { since } : {});
    say(
      `Read ${report.subscriptions} subscriptions, ${report.invoices} paid invoices and ${report.overdue} overdue pledges: ${report.applied} applied, ${report.notOurs} not ours, ${report.failed.length} failed.`,
    );
    for (const failure of report.failed) say(`✗ ${failure.id}: ${failure.error}`);
    if (report.failed.length > 0) throw new Error(`${report.failed.length} object(s) failed; see above.`);
  } finally {
    await db.destroy();
    await stripeHandle.stop();
    await database.stop();
  }
});
