/**
 * npm run dev — the whole app on http://localhost:3000 with no configuration:
 * embedded PostgreSQL (or DATABASE_URL), migrations, demo data, Vite with HMR,
 * the job worker in process, and an email outbox at /dev/outbox.
 */
import { loadDotEnv, runMain, say } from './lib/cli.ts';
import { startApp, stopOnSignals } from './lib/app.ts';

loadDotEnv();
process.env.NODE_ENV ??= 'development';

runMain(async () => {
  const app = await startApp({ mode: 'development', seed: true, stripeSandbox: true });
  stopOnSignals(app);
  say(`\nMakerfund is running at ${app.url}  (Ctrl-C to stop)`);
  say('Demo accounts: ada@makerfund.test / demo-password-ada (maker), pat@makerfund.test / demo-password-pat (patron)');
  await new Promise(() => {});
});
