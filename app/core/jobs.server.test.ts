import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { expect, test } from 'vitest';
import type { DB } from '#db/schema.ts';
import { db, pool } from './db.server.ts';
import { enqueueJob, enqueueJobs } from './jobs.server.ts';

type JobRow = { id: number; task_identifier: string; payload: unknown; key: string | null; run_at: Date; max_attempts: number; revision: number };

/** Jobs whose payload names one of the given pledge invoices, oldest first (graphile_worker.jobs hides payloads). */
async function jobsFor(pledgeInvoiceIds: string[]): Promise<JobRow[]> {
  const { rows } = await sql<JobRow>`
    select j.id::int, t.identifier as task_identifier, j.payload, j.key, j.run_at, j.max_attempts::int, j.revision::int
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where j.payload->>'pledgeInvoiceId' = any(${pledgeInvoiceIds}::text[]) order by j.id`.execute(db);
  return rows;
}

test('enqueueJobs adds every job in one statement; jobs sharing a key, in the batch or already pending, leave one job', async () => {
  const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const later = new Date('2030-01-01T00:00:00Z');
  await enqueueJob(db, 'send_pledge_receipt', { pledgeInvoiceId: d }, { jobKey: `receipt:${d}` });

  await enqueueJobs(db, 'send_pledge_receipt', [
    { payload: { pledgeInvoiceId: a }, jobKey: `receipt:${a}` },
    { payload: { pledgeInvoiceId: b }, jobKey: `receipt:${b}`, runAt: later, maxAttempts: 3 },
    { payload: { pledgeInvoiceId: a }, jobKey: `receipt:${a}` }, // the same key again in this batch
    { payload: { pledgeInvoiceId: c } }, // no key: never deduplicated
    { payload: { pledgeInvoiceId: c } },
    { payload: { pledgeInvoiceId: d }, jobKey: `receipt:${d}`, maxAttempts: 7 }, // replaces the pending job
  ]);

  const jobs = await jobsFor([a, b, c, d]);
  // add_jobs does not create jobs in array order (its insert joins the specs to the task table), so compare as a set.
  const byInvoice = (job: JobRow) => (job.payload as { pledgeInvoiceId: string }).pledgeInvoiceId;
  const order: string[] = [a, b, c, d];
  const sorted = (rows: JobRow[]) => [...rows].sort((x, y) => order.indexOf(byInvoice(x)) - order.indexOf(byInvoice(y)));
  expect(sorted(jobs).map(({ task_identifier, payload, key, max_attempts, revision }) => ({ task_identifier, payload, key, max_attempts, revision }))).toEqual([
    { task_identifier: 'send_pledge_receipt', payload: { pledgeInvoiceId: a }, key: `receipt:${a}`, max_attempts: 25, revision: 0 },
    { task_identifier: 'send_pledge_receipt', payload: { pledgeInvoiceId: b }, key: `receipt:${b}`, max_attempts: 3, revision: 0 },
    { task_identifier: 'send_pledge_receipt', payload: { pledgeInvoiceId: c }, key: null, max_attempts: 25, revision: 0 },
    { task_identifier: 'send_pledge_receipt', payload: { pledgeInvoiceId: c }, key: null, max_attempts: 25, revision: 0 },
    // The pending job is updated in place, as a second enqueueJob would do.
    { task_identifier: 'send_pledge_receipt', payload: { pledgeInvoiceId: d }, key: `receipt:${d}`, max_attempts: 7, revision: 1 },
  ]);
  expect(jobs.find((job) => byInvoice(job) === b)?.run_at).toEqual(later);

  // And again: the keyed jobs are replaced, the unkeyed ones added.
  await enqueueJobs(db, 'send_pledge_receipt', [{ payload: { pledgeInvoiceId: a }, jobKey: `receipt:${a}` }, { payload: { pledgeInvoiceId: c } }]);
  const again = await jobsFor([a, b, c, d]);
  expect(again.filter((job) => job.key === `receipt:${a}`)).toHaveLength(1);
  expect(again.filter((job) => job.key === null)).toHaveLength(3);
  expect(again).toHaveLength(6);
});

test('enqueueJobs ends like enqueueJob called for each in turn, including a key repeated with new fields', async () => {
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  const sequence = (prefix: string) => [
    { payload: { pledgeInvoiceId: ids[0]! }, jobKey: `${prefix}:0`, runAt: new Date('2031-01-01T00:00:00Z'), maxAttempts: 2 },
    { payload: { pledgeInvoiceId: ids[1]! }, jobKey: `${prefix}:1` },
    { payload: { pledgeInvoiceId: ids[2]! }, jobKey: `${prefix}:0`, runAt: new Date('2032-01-01T00:00:00Z'), maxAttempts: 5 },
  ];
  for (const job of sequence('one-by-one')) await enqueueJob(db, 'send_pledge_receipt', job.payload, job);
  await enqueueJobs(db, 'send_pledge_receipt', sequence('batch'));

  const shape = (jobs: JobRow[], prefix: string) =>
    jobs
      .filter((job) => job.key?.startsWith(`${prefix}:`))
      .sort((x, y) => (x.key as string).localeCompare(y.key as string))
      .map((job) => ({ key: job.key?.slice(prefix.length), payload: job.payload, max_attempts: job.max_attempts, run_at: job.key?.endsWith(':0') ? job.run_at : null }));
  const jobs = await jobsFor(ids);
  expect(shape(jobs, 'batch')).toEqual(shape(jobs, 'one-by-one'));
  expect(shape(jobs, 'batch')).toEqual([
    { key: ':0', payload: { pledgeInvoiceId: ids[2] }, max_attempts: 5, run_at: new Date('2032-01-01T00:00:00Z') },
    { key: ':1', payload: { pledgeInvoiceId: ids[1] }, max_attempts: 25, run_at: null },
  ]);
});

test("enqueueJobs in the caller's transaction: the jobs exist exactly when it commits; 50 jobs take one statement, none take none", async () => {
  const id = randomUUID();
  await expect(
    db.transaction().execute(async (trx) => {
      await enqueueJobs(trx, 'send_pledge_receipt', [{ payload: { pledgeInvoiceId: id }, jobKey: `receipt:${id}` }]);
      expect(await sql`select 1 from graphile_worker.jobs where key = ${`receipt:${id}`}`.execute(trx)).toMatchObject({ rows: [{}] });
      throw new Error('rolled back');
    }),
  ).rejects.toThrow('rolled back');
  expect(await jobsFor([id])).toEqual([]);

  // One statement for many jobs (a Kysely on the shared pool that counts; not destroyed, that would end the pool).
  let statements = 0;
  const counting = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: () => void (statements += 1) });
  const many = Array.from({ length: 50 }, () => randomUUID());
  await enqueueJobs(counting, 'send_pledge_receipt', many.map((pledgeInvoiceId) => ({ payload: { pledgeInvoiceId }, jobKey: `receipt:${pledgeInvoiceId}` })));
  expect(statements).toBe(1);
  expect(await jobsFor(many)).toHaveLength(50);

  // No statement at all: an executor that is not one would fail on any.
  const closed = { isTransaction: false } as unknown as typeof db;
  await expect(enqueueJobs(closed, 'send_pledge_receipt', [])).resolves.toBeUndefined();
});
