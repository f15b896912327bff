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

/** graphile_worker.job_spec's fields (the ones we set), as json_populate_record reads them. */
type JobSpec = { identifier: string; payload: unknown; run_at: string | null; max_attempts: number | null; job_key: string | null };

/**
 * enqueueJob for many jobs of one task, in one statement (graphile_worker.add_jobs, which add_job
 * itself calls with a one-element array), with the same outcome as enqueueJob for each in turn.
 * Keys work as in add_job's default mode ('replace'): a pending job with the same key is updated
 * in place (payload, run_at, max_attempts; attempts reset), a running one loses its key and a new
 * job is added. One difference needs handling here: add_jobs inserts with ON CONFLICT (key) DO
 * UPDATE, and Postgres refuses a statement that would update one row twice, so jobs sharing a key
 * within `jobs` are first merged the way successive add_job calls would merge them: the later
 * one's fields win (array payloads are concatenated, as add_jobs does). Also unlike successive
 * calls, the jobs are not necessarily created (given ids) in list order, so among jobs with the
 * same run_at and priority the worker may not take them in list order.
 */
export async function enqueueJobs<Name extends JobName>(
  db: Executor,
  name: Name,
  jobs: { payload: JobPayloads[Name]; jobKey?: string; runAt?: Date; maxAttempts?: number }[],
): Promise<void> {
  if (jobs.length === 0) return;
  const specs: JobSpec[] = [];
  const positionOfKey = new Map<string, number>();
  for (const job of jobs) {
    const spec: JobSpec = {
      identifier: name,
      payload: job.payload,
      run_at: job.runAt?.toISOString() ?? null,
      max_attempts: job.maxAttempts ?? null,
      job_key: job.jobKey ?? null,
    };
    const position = spec.job_key === null ? undefined : positionOfKey.get(spec.job_key);
    if (position === undefined) {
      if (spec.job_key !== null) positionOfKey.set(spec.job_key, specs.length);
      specs.push(spec);
      continue;
    }
    const earlier = (specs[position] as JobSpec).payload;
    specs[position] = { ...spec, payload: Array.isArray(earlier) && Array.isArray(spec.payload) ? [...earlier, ...spec.payload] : spec.payload };
  }
  // One json parameter however many jobs, turned into job_spec records in order.
  await sql`select from graphile_worker.add_jobs(
    array(
      select spec
      from json_array_elements(${JSON.stringify(specs)}::json) with ordinality as element(value, position),
        json_populate_record(null::graphile_worker.job_spec, element.value) as spec
      order by element.position
    ),
    job_key_preserve_run_at => false
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
