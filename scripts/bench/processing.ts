import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { mapLimit } from '#app/utils/map-limit.ts';
import Stripe from 'stripe';
import type { Row } from '../bench.ts';
import { repoRoot, say } from '../lib/cli.ts';
import { createDatabase, dropDatabase } from '../lib/database.ts';
import { migrateToLatest } from '../lib/migrate.ts';
import { startStripeSandbox } from '../stripe-sandbox/index.ts';
import { pgbench } from './pgbench.ts';
import { freePort, startServer } from './server.ts';
import { median, round } from './stats.ts';

/**
 * Row 2 of BENCH.md: stored Stripe event → processed → ledger, timed as the drain of a
 * renewal wave.
 *
 * N patrons with active monthly pledges (€5) share one Stripe test clock. Each round:
 *  1. baseline: pgbench, one double-entry transaction (a transaction row and three entries
 *     summing to zero, deferred balance triggers included) into the real ledger tables, with
 *     as many clients as the worker has slots (WORKER_CONCURRENCY, the app's default 4);
 *  2. the wave: the clock advances one month, the sandbox renews all N subscriptions and
 *     delivers their events to the production server (`scripts/start.ts`, intake only), which
 *     verifies and stores each (the stored rows are the queue) and queues a drain job;
 *  3. the drain: the production job worker (the same `startWorker` + task list as
 *     `npm run worker`, in a process of its own) starts; the drain job queued by intake leases
 *     the stored events and runs them through the real handlers (lock the pledges, re-read from
 *     Stripe, apply, post the ledger), timed from the start of that job (not the worker's own
 *     start-up) until every event of the wave has processed_at.
 *     (The per-minute cron may add a second drain job; the row reports how many ran at once.)
 * The worker is held during the wave because the sandbox delivers one webhook at a time per
 * endpoint: processed live, the figure would be the delivery rate, not processing. A held wave
 * is the backlog a replay, an outage or a slow worker leaves behind.
 *
 * The worker process counts its Stripe calls and their time, its SQL queries and their time, and
 * its CPU, so the row says where the time goes. BENCH_PROCESSING_PATRONS sets N (default 400).
 *
 * Then, once, the large wave: enough patrons on a clock of their own for a wave of
 * BENCH_PROCESSING_WAVE_EVENTS events (default 100k; 0 skips it), stored the same way, drained
 * the same way, its drain time measured (not extrapolated).
 */

const SECRET_KEY = 'sk_test_makerfund_bench_processing';
/** The app's default WORKER_CONCURRENCY; pgbench runs with as many clients. */
const WORKER_CONCURRENCY = 4;
const DEFAULT_PATRONS = 400;
/** BENCH.md row 2 also asks for the time to drain a renewal wave of 100k events. */
const DEFAULT_WAVE_EVENTS = 100_000;
const HOUR = 3600;
const LEDGER_KINDS = ['invoice_payment', 'stripe_fee'];
const WORKER_FLAG = '--bench-processing-worker';

/** `clients` (row 1's HTTP connections) is not used: this row's concurrency is the worker's. */
type Options = { databaseUrl: string; rounds: number; seconds: number; clients: number };

/** Cumulative counters of the worker process. */
type WorkerStats = {
  cpuMs: number;
  stripeCalls: number;
  stripeMs: number;
  stripeByCall: Record<string, { calls: number; ms: number }>;
  pgQueries: number;
  pgMs: number;
  /** SQL by what it touches (see sqlKind). */
  pgByKind: Record<string, { calls: number; ms: number }>;
  /** drain_stripe_events jobs run (the wake-up queued by intake, the per-minute cron's) and the most at once. */
  drainJobs: number;
  maxConcurrentDrainJobs: number;
  /** When the first drain job since the worker started began (epoch ms): the drain is timed from here. */
  firstDrainAt: number | null;
};

type Wave = {
  renewals: number;
  events: number;
  ledgerTransactions: number;
  /** advance → clock ready: the sandbox renewing N subscriptions. */
  generatedMs: number;
  /** advance → last event of the wave stored (serial delivery, no processing running). */
  storedMs: number;
  /** first drain job start → last event processed. */
  drainMs: number;
  failedAttempts: number;
  worker: WorkerStats;
  sandboxCpuMs: number;
  postgresCpuMs: number;
  /** Mean over samples during the drain: the worker's sessions running a query, waiting for a lock, idle inside a transaction. */
  sessions: { active: number; lockWait: number; idleInTransaction: number };
  /** Events of the wave by type and outcome. */
  byType: { type: string; outcome: string | null; n: number }[];
};

/** Patrons of one project on one test clock: one renewal wave each time the clock passes their period end. */
type Cohort = { name: string; clock: string; projectId: string; patrons: number };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time of every process named `postgres` on this machine (the server and its backends), in ms. */
function postgresCpuMs(): number {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * tick; // utime, stime
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** What a query is for, by the tables it names (a commit runs the ledger's deferred balance triggers). */
function sqlKind(text: string): string {
  if (/^\s*(begin|start transaction)/i.test(text)) return 'begin';
  if (/^\s*commit/i.test(text)) return 'commit';
  if (/^\s*rollback/i.test(text)) return 'rollback';
  if (/graphile_worker/.test(text)) return 'graphile-worker';
  if (/"?stripe_events"?/.test(text)) return 'stripe_events';
  if (/ledger_/.test(text)) return 'ledger';
  if (/pledge_invoices/.test(text)) return 'pledge_invoices';
  if (/pledges|tier_prices|"tiers"|projects/.test(text)) return 'pledges';
  return 'other';
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

/** The pgbench counterpart: one balanced three-entry transaction into the real ledger tables. */
function doubleEntryScript(accounts: { stripeBalance: string; makerPayable: string; platformRevenue: string }): string {
  return [
    '\\set gross random(100, 100000)',
    '\\set fee :gross / 20 + 1',
    '\\set credit_net 0 - (:gross - :fee)',
    '\\set credit_fee 0 - :fee',
    'begin;',
    "insert into ledger_transactions (reference, kind, description, occurred_at) values ('bench:' || gen_random_uuid(), 'bench_double_entry', 'pgbench double-entry', now()) returning id \\gset",
    `insert into ledger_entries (transaction_id, account_id, amount, currency) values (:id, '${accounts.stripeBalance}', :gross, 'eur'), (:id, '${accounts.makerPayable}', :credit_net, 'eur'), (:id, '${accounts.platformRevenue}', :credit_fee, 'eur');`,
    'commit;',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The worker process: the production job worker, started and stopped on request.

type ToWorker = 'start' | 'stop' | 'stats' | 'exit';
type FromWorker = { type: 'ready' | 'started' | 'stopped' } | { type: 'stats'; stats: WorkerStats };

async function workerProcess(): Promise<void> {
  const send = (message: FromWorker) => process.send?.(message);
  const stats: WorkerStats = { cpuMs: 0, stripeCalls: 0, stripeMs: 0, stripeByCall: {}, pgQueries: 0, pgMs: 0, pgByKind: {}, drainJobs: 0, maxConcurrentDrainJobs: 0, firstDrainAt: null };

  // Observation only: time every query of this process (the app's and graphile-worker's).
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function timedQuery(this: pg.Client, ...args: unknown[]) {
    const result = query.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      const started = performance.now();
      const first = args[0];
      const kind = sqlKind(typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? ''));
      const done = () => {
        const ms = performance.now() - started;
        stats.pgMs += ms;
        const entry = (stats.pgByKind[kind] ??= { calls: 0, ms: 0 });
        entry.calls += 1;
        entry.ms += ms;
      };
      stats.pgQueries += 1;
      (result as Promise<unknown>).then(done, done);
    }
    return result;
  } as typeof pg.Client.prototype.query;

  const { env } = await import('#app/core/env.server.ts');
  const { pool } = await import('#app/core/db.server.ts');
  const { startWorker } = await import('#app/core/jobs.server.ts');
  const { taskList } = await import('#app/tasks.server.ts');
  const { stripe } = await import('#app/modules/payments/stripe.server.ts');
  stripe.on('response', (event: { method: string; path: string; elapsed: number }) => {
    stats.stripeCalls += 1;
    stats.stripeMs += event.elapsed;
    const call = `${event.method} ${event.path.replace(/\?.*$/, '').replace(/\/[a-z]+_(?=[a-z]*[A-Z0-9])[A-Za-z0-9]+/g, '/:id')}`;
    const entry = (stats.stripeByCall[call] ??= { calls: 0, ms: 0 });
    entry.calls += 1;
    entry.ms += event.elapsed;
  });
  const drain = taskList.drain_stripe_events;
  if (!drain) throw new Error('the task list has no drain_stripe_events task');
  let runningDrains = 0;
  const tasks: typeof taskList = {
    ...taskList,
    drain_stripe_events: async (payload, helpers) => {
      stats.drainJobs += 1;
      stats.firstDrainAt ??= Date.now();
      runningDrains += 1;
      stats.maxConcurrentDrainJobs = Math.max(stats.maxConcurrentDrainJobs, runningDrains);
      try {
        await drain(payload, helpers);
      } finally {
        runningDrains -= 1;
      }
    },
  };
  await pool.query('select 1');

  let runner: Awaited<ReturnType<typeof startWorker>> | null = null;
  process.on('message', (message: ToWorker) => {
    void (async () => {
      if (message === 'start') {
        stats.firstDrainAt = null;
        runner ??= await startWorker({ pool, taskList: tasks, concurrency: env().WORKER_CONCURRENCY });
        send({ type: 'started' });
      } else if (message === 'stop') {
        await runner?.stop();
        runner = null;
        send({ type: 'stopped' });
      } else if (message === 'stats') {
        const snapshot = { ...stats, cpuMs: cpuMs(process.cpuUsage()), stripeByCall: structuredClone(stats.stripeByCall), pgByKind: structuredClone(stats.pgByKind) };
        stats.maxConcurrentDrainJobs = runningDrains; // a high-water mark per interval between two reads
        send({ type: 'stats', stats: snapshot });
      } else if (message === 'exit') {
        await runner?.stop();
        await pool.end();
        process.exit(0);
      }
    })();
  });
  // The bench went away (finished, failed or interrupted): do not outlive it.
  process.once('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

class WorkerHandle {
  private readonly child: ChildProcess;
  private output = '';

  constructor(env: Record<string, string>) {
    this.child = fork(fileURLToPath(import.meta.url), [WORKER_FLAG], {
      cwd: repoRoot,
      env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stdout?.on('data', (chunk) => (this.output += String(chunk)));
    this.child.stderr?.on('data', (chunk) => (this.output += String(chunk)));
  }

  private next<T extends FromWorker['type']>(type: T, timeoutMs = 60_000): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`worker process: no '${type}' within ${timeoutMs} ms\n${this.output}`)), timeoutMs);
      const onMessage = (message: FromWorker) => {
        if (message.type === type) done(null, message as Extract<FromWorker, { type: T }>);
      };
      const onExit = (code: number | null) => done(new Error(`worker process exited (${code})\n${this.output}`));
      const done = (error: Error | null, message?: Extract<FromWorker, { type: T }>) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (error) reject(error);
        else resolve(message as Extract<FromWorker, { type: T }>);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  ready() {
    return this.next('ready');
  }

  async start(): Promise<void> {
    const started = this.next('started');
    this.child.send('start');
    await started;
  }

  async stop(): Promise<void> {
    const stopped = this.next('stopped');
    this.child.send('stop');
    await stopped;
  }

  async stats(): Promise<WorkerStats> {
    const reply = this.next('stats');
    this.child.send('stats');
    return (await reply).stats;
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send('exit');
    await Promise.race([exited, sleep(10_000)]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

function statsDelta(after: WorkerStats, before: WorkerStats): WorkerStats {
  const byCall: WorkerStats['stripeByCall'] = {};
  for (const [call, entry] of Object.entries(after.stripeByCall)) {
    const earlier = before.stripeByCall[call] ?? { calls: 0, ms: 0 };
    if (entry.calls > earlier.calls) byCall[call] = { calls: entry.calls - earlier.calls, ms: entry.ms - earlier.ms };
  }
  return {
    cpuMs: after.cpuMs - before.cpuMs,
    stripeCalls: after.stripeCalls - before.stripeCalls,
    stripeMs: after.stripeMs - before.stripeMs,
    stripeByCall: byCall,
    pgQueries: after.pgQueries - before.pgQueries,
    pgMs: after.pgMs - before.pgMs,
    pgByKind: Object.fromEntries(
      Object.entries(after.pgByKind).map(([kind, entry]) => [kind, { calls: entry.calls - (before.pgByKind[kind]?.calls ?? 0), ms: entry.ms - (before.pgByKind[kind]?.ms ?? 0) }]),
    ),
    drainJobs: after.drainJobs - before.drainJobs,
    maxConcurrentDrainJobs: after.maxConcurrentDrainJobs,
    firstDrainAt: after.firstDrainAt,
  };
}

// ---------------------------------------------------------------------------------------------

export async function benchProcessing(given: Options): Promise<Row> {
  const patrons = Number(process.env.BENCH_PROCESSING_PATRONS ?? DEFAULT_PATRONS);
  if (!Number.isInteger(patrons) || patrons < 1) throw new Error('BENCH_PROCESSING_PATRONS must be a whole number ≥ 1');
  const waveEvents = Number(process.env.BENCH_PROCESSING_WAVE_EVENTS ?? DEFAULT_WAVE_EVENTS);
  if (!Number.isInteger(waveEvents) || waveEvents < 0) throw new Error('BENCH_PROCESSING_WAVE_EVENTS must be a whole number ≥ 0 (0 skips the large wave)');
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'makerfund-bench-processing-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

  try {
    // A database of its own, next to the bench's: row 1 leaves its load-test events stored and
    // unprocessed in the shared one, and a drain here would start by working through them.
    const databaseName = `${decodeURIComponent(new URL(given.databaseUrl).pathname.slice(1))}_processing`;
    const options = { ...given, databaseUrl: await createDatabase(given.databaseUrl, databaseName) };
    cleanups.push(() => dropDatabase(given.databaseUrl, databaseName));
    await migrateToLatest(options.databaseUrl);

    // Stripe delivers concurrently; one at a time, a wave of 100k events would take minutes to arrive.
    const sandbox = await startStripeSandbox({ port: 0, dataDir: null, webhookRetryDelaysMs: [200, 1000, 5000, 30_000], log: () => {}, switches: { webhookParallel: 8 } });
    cleanups.push(() => sandbox.close());
    const stripe = new Stripe(SECRET_KEY, { ...sandbox.stripeConfig, maxNetworkRetries: 2, telemetry: false });
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    const endpoint = await stripe.webhookEndpoints.create({ url: `${appUrl}/webhooks/stripe`, enabled_events: ['*'] });
    const appEnv = {
      DATABASE_URL: options.databaseUrl,
      DATA_DIR: dataDir,
      APP_URL: appUrl,
      STRIPE_SECRET_KEY: SECRET_KEY,
      STRIPE_API_BASE: sandbox.url,
      STRIPE_WEBHOOK_SECRETS: endpoint.secret as string,
      WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
      DATABASE_POOL_MAX: '8', // the app's default
    };

    // App modules of this process (project and tier set-up, invariants) read configuration on first import.
    const savedEnv = { ...process.env };
    cleanups.push(() => {
      for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
      Object.assign(process.env, savedEnv);
    });
    Object.assign(process.env, appEnv, { DATABASE_POOL_MAX: '4', LOG_LEVEL: 'warn' });
    const { env } = await import('#app/core/env.server.ts');
    if (env().DATABASE_URL !== options.databaseUrl || env().STRIPE_API_BASE !== sandbox.url) {
      throw new Error('App configuration was loaded before the processing bench set it up');
    }
    const { db } = await import('#app/core/db.server.ts');
    cleanups.push(() => db.destroy());
    const { createUser } = await import('#app/modules/accounts/users.server.ts');
    const { createProject } = await import('#app/modules/projects/projects.server.ts');
    const { createTier } = await import('#app/modules/tiers/tiers.server.ts');
    const { runInvariants } = await import('#app/modules/ledger/invariants.server.ts');

    // The bench's own connections (application_name bench-probe) are left out of the session samples.
    const client = new pg.Pool({ connectionString: options.databaseUrl, max: 4, application_name: 'bench-probe' });
    cleanups.push(() => client.end());
    const one = async <T>(text: string, values: unknown[] = []): Promise<T> => (await client.query(text, values)).rows[0] as T;

    // The production server stores the events; jobs run only in the worker process below.
    const server = await startServer({ ...appEnv, WORKER_IN_PROCESS: 'false' }, { port });
    cleanups.push(() => server.stop());
    const worker = new WorkerHandle(appEnv);
    cleanups.push(() => worker.exit());
    await worker.ready();

    /** Jobs that are running or due (a retry scheduled for later is not). */
    const pendingJobs = async () =>
      (await one<{ n: number }>('select count(*)::int as n from graphile_worker._private_jobs where attempts < max_attempts and (locked_at is not null or run_at <= now())')).n;
    /** Stored events not processed yet (parked ones aside), optionally only those received since `since`. */
    const unprocessed = async (since: Date = new Date(0)) =>
      (await one<{ n: number }>('select count(*)::int as n from stripe_events where processed_at is null and parked_at is null and received_at >= $1', [since])).n;
    const eventCount = async () => (await one<{ n: number }>('select count(*)::int as n from stripe_events')).n;

    /** Every webhook delivered and stored (nothing more arriving). */
    async function waitStored(): Promise<void> {
      for (;;) {
        const before = await eventCount();
        await sandbox.flushWebhooks();
        await sleep(50);
        if ((await eventCount()) === before) return;
      }
    }

    /** Every webhook delivered and every job done. */
    async function waitQuiet(timeoutMs = 600_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await waitStored();
        if ((await pendingJobs()) === 0 && (await unprocessed()) === 0) {
          await waitStored();
          if ((await pendingJobs()) === 0 && (await unprocessed()) === 0) return;
        }
        if (Date.now() > deadline) throw new Error(`jobs still pending after ${timeoutMs} ms`);
        await sleep(100);
      }
    }

    /**
     * The worker's cron runs sync_stripe every quarter hour (it re-reads every recent
     * subscription and paid invoice): a drain must not overlap it. If a boundary falls within
     * the next `expectedMs`, wait for it to pass (the worker is stopped then, so no sync runs).
     */
    async function avoidCron(expectedMs: number): Promise<void> {
      const quarter = 15 * 60_000;
      const untilBoundary = quarter - (Date.now() % quarter);
      if (untilBoundary > expectedMs + 10_000) return;
      say(`  waiting ${Math.ceil(untilBoundary / 1000) + 5} s for the quarter hour (sync_stripe cron) to pass…`);
      await sleep(untilBoundary + 5_000);
    }

    // --- Fixtures: a maker; per cohort a project with one €5/month tier and its patrons on a test clock of their own. ---
    const suffix = randomBytes(3).toString('hex');
    const maker = await createUser(
      db,
      { email: `bench-maker-${suffix}@example.test`, handle: `bench-maker-${suffix}`, displayName: 'Bench Maker', password: `bench maker ${suffix}` },
      { welcomeEmail: false },
    );
    if (!('id' in maker)) throw new Error(`bench maker: ${maker.message}`);
    const makerId = maker.id;

    /** N patrons with active pledges on one new test clock, signed up the way the join flow leaves them. */
    async function enrol(patrons: number, name: string): Promise<Cohort> {
      say(`  setting up ${patrons} patrons with active pledges on one test clock (${name})…`);
      const setupStarted = Date.now();
      const slug = `bench-${name}-${suffix}`;
      const createdProject = await createProject(db, makerId, { name: `Bench ${name}`, slug, pitch: 'Renewal waves.', description: '', repositoryUrl: null, currency: 'eur' });
      if ('field' in createdProject) throw new Error(`bench project: ${createdProject.message}`);
      const project = createdProject;
      const tier = await createTier(
        db,
        { projectId: project.id, makerId },
        { name: 'Supporter', monthlyAmount: 500, yearlyAmount: null, description: '', benefits: [], patronLimit: null },
      );
      if (!tier || 'formError' in tier) throw new Error('bench tier could not be created');
      const price = await one<{ stripe_price_id: string }>("select stripe_price_id from tier_prices where tier_id = $1 and interval = 'month' and active", [tier.id]);

      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000), name: `bench renewal wave ${name}` });
      // Patrons never log in here: their rows are inserted directly (no argon2 hash per patron).
      const users = (
        await client.query<{ id: string; email: string }>(
          `insert into users (email, handle, display_name, password_hash)
           select 'bench-patron-' || $1 || '-' || i || '@example.test', 'bench-patron-' || $1 || '-' || i, 'Bench Patron ' || i, 'not-a-login'
           from generate_series(1, $2::int) as i returning id, email`,
          [`${name}-${suffix}`, patrons],
        )
      ).rows;
      // As the join flow leaves them (startPledge, then Checkout): a Stripe customer on the clock
      // with a card, a pending pledge, a subscription carrying our metadata. The webhooks do the rest.
      // The worker is held while they sign up and their events arrive, then drains them as one
      // backlog: processed one by one as they arrived, 11k sign-ups took eight minutes.
      const eventsBefore = await eventCount();
      await mapLimit(users, 8, async (user) => {
        const customer = await stripe.customers.create({
          email: user.email,
          metadata: { user_id: user.id },
          test_clock: clock.id,
          payment_method: 'pm_card_visa',
          invoice_settings: { default_payment_method: 'pm_card_visa' },
        });
        await client.query('insert into stripe_customers (user_id, stripe_customer_id) values ($1, $2)', [user.id, customer.id]);
        const pledge = await one<{ id: string }>(
          `insert into pledges (patron_id, project_id, tier_id, interval, amount, currency, status, stripe_price_id, stripe_customer_id)
           values ($1, $2, $3, 'month', 500, 'eur', 'pending', $4, $5) returning id`,
          [user.id, project.id, tier.id, price.stripe_price_id, customer.id],
        );
        const metadata = { pledge_id: pledge.id, project_id: project.id, tier_id: tier.id };
        await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.stripe_price_id }], metadata }, { idempotencyKey: `bench-sub-${pledge.id}` });
      });
      await waitStored();
      await worker.start();
      await waitQuiet();
      await worker.stop();
      const active = await one<{ n: number }>("select count(*)::int as n from pledges where project_id = $1 and status = 'active'", [project.id]);
      if (active.n !== patrons) throw new Error(`only ${active.n} of ${patrons} pledges became active after sign-up`);
      say(`  ${patrons} active pledges (${(await eventCount()) - eventsBefore} sign-up events stored, then drained) in ${round((Date.now() - setupStarted) / 1000, 1)} s`);
      return { name, clock: clock.id, projectId: project.id, patrons };
    }
    const cohort = await enrol(patrons, 'rounds');

    // --- Baseline accounts: the real ledger tables; a maker of their own, so no statement changes. ---
    const baselineMaker = await one<{ id: string }>(
      "insert into users (email, handle, display_name, password_hash) values ($1, $2, 'Bench baseline', 'not-a-login') returning id",
      [`bench-baseline-${suffix}@example.test`, `bench-baseline-${suffix}`],
    );
    const accountId = async (code: string, kind: string, makerId: string | null) =>
      (
        await one<{ id: string }>(
          `with inserted as (insert into ledger_accounts (code, kind, currency, maker_id) values ($1, $2, 'eur', $3) on conflict (code) do nothing returning id)
           select id from inserted union all select id from ledger_accounts where code = $1 limit 1`,
          [code, kind, makerId],
        )
      ).id;
    const script = doubleEntryScript({
      stripeBalance: await accountId('stripe_balance:eur', 'asset', null),
      platformRevenue: await accountId('platform_revenue:eur', 'revenue', null),
      makerPayable: await accountId(`maker_payable:${baselineMaker.id}:eur`, 'liability', baselineMaker.id),
    });
    say('  warm-up: pgbench 2 s…');
    await pgbench({ url: options.databaseUrl, script, clients: WORKER_CONCURRENCY, seconds: 2 });

    let expectedDrainMs = 30_000;
    async function wave({ clock, projectId }: Cohort): Promise<Wave> {
      const period = await one<{ min: Date; max: Date }>(
        "select min(current_period_end) as min, max(current_period_end) as max from pledges where project_id = $1 and status = 'active'",
        [projectId],
      );
      const before = await eventCount();
      const advanced = new Date();
      await stripe.testHelpers.testClocks.advance(clock, { frozen_time: Math.floor(period.max.getTime() / 1000) + 2 * HOUR });
      while ((await stripe.testHelpers.testClocks.retrieve(clock)).status !== 'ready') await sleep(20);
      const generatedMs = Date.now() - advanced.getTime();
      await waitStored();
      const stored = await one<{ n: number; last: Date }>('select count(*)::int as n, max(received_at) as last from stripe_events where received_at >= $1', [advanced]);
      if (stored.n !== (await eventCount()) - before) throw new Error('events stored outside the wave window');

      await avoidCron(expectedDrainMs);
      const workerBefore = await worker.stats();
      const sandboxBefore = process.cpuUsage();
      const postgresBefore = postgresCpuMs();
      const drainStarted = Date.now();
      await worker.start();
      const samples = { n: 0, active: 0, lockWait: 0, idleInTransaction: 0 };
      while ((await unprocessed(advanced)) > 0) {
        const sample = await one<{ active: number; lock_wait: number; idle_in_transaction: number }>(
          `select count(*) filter (where state = 'active')::int as active, count(*) filter (where wait_event_type = 'Lock')::int as lock_wait,
             count(*) filter (where state = 'idle in transaction')::int as idle_in_transaction
           from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'
             and application_name <> 'bench-probe'`,
        );
        samples.n += 1;
        samples.active += sample.active;
        samples.lockWait += sample.lock_wait;
        samples.idleInTransaction += sample.idle_in_transaction;
        await sleep(50);
      }
      const drained = await one<{ last: Date; unprocessed: number; failed_attempts: number }>(
        `select max(processed_at) as last, count(*) filter (where processed_at is null)::int as unprocessed,
           coalesce(sum(attempts - 1) filter (where attempts > 1), 0)::int as failed_attempts
         from stripe_events where received_at >= $1`,
        [advanced],
      );
      const worker_ = statsDelta(await worker.stats(), workerBefore);
      const sandboxCpuMs = cpuMs(process.cpuUsage(sandboxBefore));
      const postgresCpu = postgresCpuMs() - postgresBefore;
      if (drained.unprocessed > 0) throw new Error(`${drained.unprocessed} events of the wave were parked`);
      await waitQuiet(); // receipts and other follow-up jobs, before the worker stops
      await worker.stop();

      const byType = (
        await client.query<{ type: string; outcome: string | null; n: number }>(
          'select type, outcome, count(*)::int as n from stripe_events where received_at >= $1 group by type, outcome order by count(*) desc, type',
          [advanced],
        )
      ).rows;
      const ledger = await one<{ n: number }>('select count(*)::int as n from ledger_transactions where created_at >= $1 and kind = any($2)', [advanced, LEDGER_KINDS]);
      const renewals = await one<{ n: number }>(
        `select count(*)::int as n from pledge_invoices join pledges on pledges.id = pledge_invoices.pledge_id
         where pledges.project_id = $2 and pledge_invoices.billing_reason = 'subscription_cycle' and pledge_invoices.status = 'paid' and pledge_invoices.period_start >= $1`,
        [period.min, projectId],
      );
      return {
        renewals: renewals.n,
        events: stored.n,
        ledgerTransactions: ledger.n,
        generatedMs,
        storedMs: stored.last.getTime() - advanced.getTime(),
        // From the first drain job's start: the job worker's own start-up (a new runner per
        // round, ~0.2 s) is not processing.
        drainMs: drained.last.getTime() - (worker_.firstDrainAt ?? drainStarted),
        failedAttempts: drained.failed_attempts,
        worker: worker_,
        sandboxCpuMs,
        postgresCpuMs: postgresCpu,
        byType,
        sessions: {
          active: samples.active / Math.max(1, samples.n),
          lockWait: samples.lockWait / Math.max(1, samples.n),
          idleInTransaction: samples.idleInTransaction / Math.max(1, samples.n),
        },
      };
    }

    // A renewal wave drains as sets and lists, which the sign-up (one pledge at a time) never
    // exercised: one untimed wave first, as the other rows warm up before measuring.
    say('  warm-up: one renewal wave, not timed…');
    const warm = await wave(cohort);
    if (warm.renewals !== patrons) throw new Error(`warm-up: ${warm.renewals} of ${patrons} renewals were paid`);
    expectedDrainMs = Math.max(10_000, warm.drainMs * 1.5);

    const baselineTps: number[] = [];
    const waves: Wave[] = [];
    for (let round_ = 1; round_ <= options.rounds; round_ += 1) {
      await waitQuiet();
      const base = await pgbench({ url: options.databaseUrl, script, clients: WORKER_CONCURRENCY, seconds: options.seconds });
      const measured = await wave(cohort);
      if (measured.renewals !== patrons) throw new Error(`round ${round_}: ${measured.renewals} of ${patrons} renewals were paid`);
      baselineTps.push(base.tps);
      waves.push(measured);
      expectedDrainMs = Math.max(10_000, measured.drainMs * 1.5);
      const w = measured.worker;
      say(
        `  round ${round_}: pgbench double-entry ${round(base.tps, 0)} tps · wave: ${measured.renewals} renewals, ${measured.events} events stored in ` +
          `${round(measured.storedMs / 1000, 1)} s, drained in ${round(measured.drainMs / 1000, 1)} s → ${round(measured.ledgerTransactions / (measured.drainMs / 1000), 1)} ledger tx/s, ` +
          `${round(measured.events / (measured.drainMs / 1000), 0)} events/s · ${w.stripeCalls} Stripe calls, in flight on average: ${round(w.stripeMs / measured.drainMs, 1)} Stripe calls, ${round(w.pgMs / measured.drainMs, 1)} SQL queries ` +
          `(sessions: ${round(measured.sessions.active, 1)} active, ${round(measured.sessions.lockWait, 1)} waiting for a lock, ${round(measured.sessions.idleInTransaction, 1)} idle in transaction) · ` +
          `${w.drainJobs} drain job(s), at most ${w.maxConcurrentDrainJobs} at once`,
      );
    }

    // The large wave, once: as many patrons as a wave of `waveEvents` events needs at the events
    // per renewal just measured.
    const eventsPerRenewal = median(waves.map((w) => w.events / w.renewals));
    let large: Wave | null = null;
    if (waveEvents > 0) {
      // 1 % more: a wave's clock events (advancing, ready) are counted in the rounds' events per renewal.
      const big = await enrol(Math.ceil((waveEvents / eventsPerRenewal) * 1.01), 'large');
      expectedDrainMs = Math.max(30_000, 2 * waveEvents / median(waves.map((w) => w.events / (w.drainMs / 1000))) * 1000);
      await waitQuiet();
      large = await wave(big);
      if (large.renewals !== big.patrons) throw new Error(`large wave: ${large.renewals} of ${big.patrons} renewals were paid`);
      say(
        `  large wave: ${large.renewals} renewals, ${large.events} events stored in ${round(large.storedMs / 1000, 1)} s, drained in ${round(large.drainMs / 1000, 1)} s → ` +
          `${round(large.events / (large.drainMs / 1000), 0)} events/s, ${round(large.ledgerTransactions / (large.drainMs / 1000), 0)} ledger tx/s ` +
          `(${round(large.ledgerTransactions / (large.drainMs / 1000) / median(baselineTps), 2)}× the median pgbench) · ${large.worker.stripeCalls} Stripe calls · ` +
          `${large.worker.drainJobs} drain job(s), at most ${large.worker.maxConcurrentDrainJobs} at once`,
      );
    }

    const invariants = await runInvariants(db);
    const violations = invariants.reduce((sum, result) => sum + result.violations.length, 0);
    for (const result of invariants) if (result.violations.length > 0) say(`  ✗ ledger invariant ${result.name}: ${JSON.stringify(result.violations.slice(0, 3))}`);

    const per = (pick: (wave: Wave) => number) => median(waves.map(pick));
    const seconds = (w: Wave) => w.drainMs / 1000;
    const ledgerPerSecond = per((w) => w.ledgerTransactions / seconds(w));
    const eventsPerSecond = per((w) => w.events / seconds(w));
    const renewalsPerSecond = per((w) => w.renewals / seconds(w));
    const baseline = median(baselineTps);
    // Each wave against the baseline measured just before it; the median of those ratios.
    const ratios = waves.map((w, i) => w.ledgerTransactions / seconds(w) / (baselineTps[i] as number));
    const ratio = median(ratios);
    const perRound = Object.fromEntries(
      waves.flatMap((w, i) => [
        [`round${i + 1}PgbenchTps`, round(baselineTps[i] as number, 0)],
        [`round${i + 1}LedgerTransactionsPerSecond`, round(w.ledgerTransactions / seconds(w), 1)],
        [`round${i + 1}Ratio`, round(ratios[i] as number, 4)],
      ]),
    );
    const handled = (w: Wave) => w.byType.filter((row) => row.outcome !== 'ignored').reduce((sum, row) => sum + row.n, 0);
    const last = waves[waves.length - 1] as Wave;
    say(`  events of a renewal (last wave, per renewal): ${last.byType.map((row) => `${row.type} → ${row.outcome} ${round(row.n / last.renewals, 2)}`).join(' · ')}`);

    // Where the time goes: the worker's Stripe calls and SQL queries, and the CPU of the processes.
    const calls: Record<string, { calls: number; ms: number }> = {};
    for (const w of waves) {
      for (const [call, entry] of Object.entries(w.worker.stripeByCall)) {
        const total = (calls[call] ??= { calls: 0, ms: 0 });
        total.calls += entry.calls;
        total.ms += entry.ms;
      }
    }
    const eventsTotal = waves.reduce((sum, w) => sum + w.events, 0);
    say('  Stripe calls per event (all waves): ' + Object.entries(calls).sort((a, b) => b[1].ms - a[1].ms).map(([call, e]) => `${call} ${round(e.calls / eventsTotal, 2)} × ${round(e.ms / e.calls, 1)} ms`).join(' · '));
    const kinds: Record<string, { calls: number; ms: number }> = {};
    for (const w of waves) {
      for (const [kind, entry] of Object.entries(w.worker.pgByKind)) {
        const total = (kinds[kind] ??= { calls: 0, ms: 0 });
        total.calls += entry.calls;
        total.ms += entry.ms;
      }
    }
    const pgTotalMs = Object.values(kinds).reduce((sum, entry) => sum + entry.ms, 0);
    say('  SQL per event (all waves; share of SQL time): ' + Object.entries(kinds).sort((a, b) => b[1].ms - a[1].ms).map(([kind, e]) => `${kind} ${round(e.calls / eventsTotal, 2)} × ${round(e.ms / e.calls, 2)} ms (${round((e.ms / pgTotalMs) * 100, 0)} %)`).join(' · '));
    say(`  invariant violations: ${violations}`);
    return {
      id: '2',
      what: 'Webhook processing: stored event → ledger (renewal wave drain)',
      baseline: `pgbench double-entry transaction (real ledger tables), ${WORKER_CONCURRENCY} clients = worker concurrency`,
      measured: {
        patrons,
        workerConcurrency: WORKER_CONCURRENCY,
        pgbenchDoubleEntryTps: round(baseline, 0),
        ledgerTransactionsPerSecond: round(ledgerPerSecond, 1),
        renewalsPerSecond: round(renewalsPerSecond, 1),
        eventsPerSecond: round(eventsPerSecond, 1),
        eventsPerRenewal: round(per((w) => w.events / w.renewals), 2),
        handledEventsPerRenewal: round(per((w) => handled(w) / w.renewals), 2),
        ledgerTransactionsPerRenewal: round(per((w) => w.ledgerTransactions / w.renewals), 2),
        drainSeconds: round(per((w) => w.drainMs) / 1000, 2),
        ...(large
          ? {
              largeWaveEvents: large.events,
              largeWaveRenewals: large.renewals,
              largeWaveStoredSeconds: round(large.storedMs / 1000, 1),
              largeWaveDrainSeconds: round(large.drainMs / 1000, 2),
              largeWaveEventsPerSecond: round(large.events / (large.drainMs / 1000), 0),
              largeWaveLedgerTransactionsPerSecond: round(large.ledgerTransactions / (large.drainMs / 1000), 0),
              largeWaveStripeCalls: large.worker.stripeCalls,
              largeWaveFailedAttempts: large.failedAttempts,
            }
          : {}),
        waveGeneratedSeconds: round(per((w) => w.generatedMs) / 1000, 2),
        waveStoredSeconds: round(per((w) => w.storedMs) / 1000, 2),
        stripeCallsPerEvent: round(per((w) => w.worker.stripeCalls / w.events), 2),
        stripeMsPerCall: round(per((w) => w.worker.stripeMs / Math.max(1, w.worker.stripeCalls)), 2),
        stripeRequestsInFlight: round(per((w) => w.worker.stripeMs / w.drainMs), 2),
        pgQueriesPerEvent: round(per((w) => w.worker.pgQueries / w.events), 2),
        pgMsPerQuery: round(per((w) => w.worker.pgMs / Math.max(1, w.worker.pgQueries)), 2),
        pgQueriesInFlight: round(per((w) => w.worker.pgMs / w.drainMs), 2),
        pgSessionsActive: round(per((w) => w.sessions.active), 2),
        pgSessionsWaitingForLock: round(per((w) => w.sessions.lockWait), 2),
        pgSessionsIdleInTransaction: round(per((w) => w.sessions.idleInTransaction), 2),
        workerCpuShareOfDrain: round(per((w) => w.worker.cpuMs / w.drainMs), 3),
        sandboxCpuShareOfDrain: round(per((w) => w.sandboxCpuMs / w.drainMs), 3),
        postgresCpuShareOfDrain: round(per((w) => w.postgresCpuMs / w.drainMs), 3),
        maxConcurrentDrainJobs: Math.max(...waves.map((w) => w.worker.maxConcurrentDrainJobs)),
        failedAttempts: waves.reduce((sum, w) => sum + w.failedAttempts, 0),
        invariantViolations: violations,
        ...perRound,
      },
      ratio: round(ratio, 3),
      target: '≥ 0.5× (ledger tx/s draining a renewal wave ÷ pgbench double-entry tps); 0 invariant violations; the drain time of a 100k-event wave measured',
      pass: ratio >= 0.5 && violations === 0 && (large?.events ?? 0) >= DEFAULT_WAVE_EVENTS,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
  }
}

if (import.meta.main && process.argv.includes(WORKER_FLAG)) {
  workerProcess().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
