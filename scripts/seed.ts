/** npm run db:seed — adds the demo accounts and Ada's demo project (idempotent). */
import { loadDotEnv, runMain, say } from './lib/cli.ts';
import { withAppContext } from './lib/operations.ts';

loadDotEnv();
runMain(async () => {
  if (process.argv.length > 2) throw new Error(`Unknown argument ${process.argv[2]}. Usage: npm run db:seed`);
  // Demo tiers have real (sandbox) Stripe prices, so Stripe must be reachable first.
  await withAppContext({ migrate: true, stripe: true }, async () => {
    const { seedDemoData } = await import('./lib/seed-data.ts');
    await seedDemoData(say);
  });
});
