/**
 * npm run stripe:sync — the repair the `sync_stripe` job runs every 15 minutes, on demand: reads
 * recent subscriptions and paid invoices (and overdue live pledges) from Stripe and applies them.
 *   npm run stripe:sync [-- --since 2026-11-01T00:00:00Z]   (default: the last 3 days)
 * Exit codes: 0 done, 1 some objects failed (or it could not run), 2 bad arguments.
 */
import { loadDotEnv, runMain, say } from './lib/cli.ts';
import { withAppContext } from './lib/operations.ts';
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
runMain(() =>
  withAppContext({ stripe: true }, async (db) => {
    const { syncFromStripe } = await import('#app/modules/payments/stripe-sync.server.ts');
    const report = await syncFromStripe(db, since ? { since } : {});
    say(
      `Read ${report.subscriptions} subscriptions, ${report.invoices} paid invoices and ${report.overdue} overdue pledges: ${report.applied} applied, ${report.notOurs} not ours, ${report.failed.length} failed.`,
    );
    for (const failure of report.failed) say(`✗ ${failure.id}: ${failure.error}`);
    if (report.failed.length > 0) throw new Error(`${report.failed.length} object(s) failed; see above.`);
  }),
);
