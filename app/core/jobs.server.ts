import { Logger, parseCronItems, run, type CronItem, type Runner, type TaskList } from 'graphile-worker';
import { sql } from 'kysely';
import type pg from 'pg';
import type { JobPayloads } from '#app/tasks.server.ts';
import type { Executor } from './db.server.ts';
import { logger } from './logger.server.ts';

export type JobName = keyof JobPayloads;

type EnqueueOptions = {
  /** Deduplicates: a second job with the same key replaces the pending one instead of adding another. */
  jobKey?: string;
  runAt?: Date;
  maxAttempts?: number;
};

/**
 * Queues a job through SQL on the caller's executor, so a job enqueued inside a
 * transaction exists exactly when the transaction commits.
 */
export async function enqueueJob<Name extends JobName>(
  db: Executor,
  name: Name,
  payload: JobPayloads[Name],
  options: EnqueueOptions = {},
): Promise<void> {
  await sql`select graphile_worker.add_job(
    ${name},
    ${JSON.stringify(payload)}::json,
    job_key => ${options.jobKey ?? null}::text,
    run_at => ${options.runAt ?? null}::timestamptz,
    max_attempts => ${options.maxAttempts ?? null}::int
  )`.execute(db);
}

// graphile-worker's own messages go through our structured logger.
const workerLogger = new Logger((scope) => (level, message, meta) => {
  const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'debug' ? 'debug' : 'info';
  logger[method]({ scope: { label: scope.label, taskIdentifier: scope.taskIdentifier, jobId: scope.jobId }, ...meta }, message);
});

/**
 * Runs graphile-worker on the given pool. Several workers (in app servers or
 * `npm run worker`) may share one database: graphile-worker hands each job to
 * exactly one of them with SKIP LOCKED.
 */
export async function startWorker(options: {
  pool: pg.Pool;
  taskList: TaskList;
  concurrency: number;
  pollInterval?: number;
  /** Scheduled jobs; by default app/tasks.server.ts's `cronItems`. */
  cronItems?: CronItem[];
}): Promise<Runner> {
  // Loaded here, not imported: the jobs in tasks.server.ts import this module themselves.
  const cronItems = options.cronItems ?? (await import('#app/tasks.server.ts')).cronItems;
  const runner = await run({
    pgPool: options.pool,
    taskList: options.taskList,
    concurrency: options.concurrency,
    noHandleSignals: true,
    pollInterval: options.pollInterval ?? 1000,
    parsedCronItems: parseCronItems(cronItems),
    logger: workerLogger,
  });
  logger.info({ concurrency: options.concurrency }, 'job worker started');
  return runner;
}
