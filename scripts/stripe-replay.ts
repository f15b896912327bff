/**
 * npm run stripe:replay — processes stored Stripe events again (a parked event after a fix, or a
 * window after an incident). Handlers read Stripe's current state, so replaying is always safe.
 *   npm run stripe:replay -- --id evt_1 [--id evt_2 …]
 *   npm run stripe:replay -- --since 2026-11-01T00:00:00Z [--until 2026-11-02T00:00:00Z]
 * Exit codes: 0 all processed, 1 some failed (or could not run), 2 bad arguments.
 */
import { loadDotEnv, runMain, say } from './lib/cli.ts';
import { withAppContext } from './lib/operations.ts';
import { parseReplayArgs, UsageError, type ReplayArgs } from './lib/stripe-args.ts';

const USAGE = 'Usage: npm run stripe:replay -- --id evt_… [--id evt_…] | --since <ISO time> [--until <ISO time>]';

let args: ReplayArgs;
try {
  args = parseReplayArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n${USAGE}\n`);
  process.exit(2);
}

loadDotEnv();
runMain(() =>
  withAppContext({ stripe: true }, async (db) => {
    const { processStripeEvent } = await import('#app/modules/payments/process-event.server.ts');
    let failed = 0;
    let processed = 0;
    let query = db.selectFrom('stripe_events').select(['id', 'type']).orderBy('stripe_created_at').orderBy('id');
    query = args.kind === 'ids' ? query.where('id', 'in', args.ids) : query.where('stripe_created_at', '>=', args.since);
    if (args.kind === 'window' && args.until) query = query.where('stripe_created_at', '<', args.until);
    const events = await query.execute();
    if (args.kind === 'ids') {
      for (const id of args.ids.filter((id) => !events.some((event) => event.id === id))) {
        say(`✗ ${id}: not stored here (was it ever delivered to this environment?)`);
        failed += 1;
      }
    }
    for (const event of events) {
      try {
        say(`✓ ${event.id} ${event.type} → ${await processStripeEvent(db, event.id, { mode: 'replay' })}`);
        processed += 1;
      } catch (error) {
        failed += 1;
        say(`✗ ${event.id} ${event.type}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    say(`${processed} event(s) processed, ${failed} failed.`);
    if (failed > 0) throw new Error(`${failed} event(s) failed; see above.`);
  }),
);
