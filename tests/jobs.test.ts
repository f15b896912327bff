import { sql } from 'kysely';
import { expect, test } from 'vitest';
import { createPool, db, pool } from '#app/core/db.server.ts';
import { readOutbox, type OutboxEmail } from '#app/core/email.server.ts';
import { env } from '#app/core/env.server.ts';
import { startWorker } from '#app/core/jobs.server.ts';
import { createUser } from '#app/modules/accounts/users.server.ts';
import { taskList } from '#app/tasks.server.ts';

let counter = 0;
function signupInput() {
  counter += 1;
  const suffix = `${counter}-${process.pid}`;
  return { email: `welcome${suffix}@example.test`, displayName: `Welcome ${counter}`, handle: `welcome-${suffix}`, password: 'a long passphrase' };
}

async function signUp() {
  const input = signupInput();
  const result = await createUser(db, input);
  if (!('id' in result)) throw new Error(result.message);
  return { id: result.id, ...input };
}

async function pendingWelcomeJobs(userId: string) {
  return db
    .selectFrom(sql<{ id: number; payload: unknown; task_identifier: string; xmin: string }>`(
      select j.id, j.payload, t.identifier as task_identifier, j.xmin::text as xmin
      from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    )`.as('j'))
    .selectAll()
    .where('task_identifier', '=', 'send_welcome_email')
    .where(sql`payload->>'userId'`, '=', userId)
    .execute();
}

async function outboxFor(email: string): Promise<OutboxEmail[]> {
  return (await readOutbox()).filter((message) => message.to === email);
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`waitFor timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function remainingJobs(): Promise<number> {
  const row = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs`.execute(db);
  return row.rows[0]?.n ?? -1;
}

test('signing up queues one send_welcome_email job, written in the same transaction as the account', async () => {
  const user = await signUp();
  const jobs = await pendingWelcomeJobs(user.id);
  expect(jobs).toHaveLength(1);
  expect(jobs[0]?.payload).toEqual({ userId: user.id });
  // Rows written by one transaction carry the same xmin (its transaction id).
  const account = await sql<{ xmin: string }>`select xmin::text as xmin from users where id = ${user.id}`.execute(db);
  expect(account.rows[0]?.xmin).toBe(jobs[0]?.xmin);
});

test('a refused signup (email taken) queues no job', async () => {
  const user = await signUp();
  const before = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs`.execute(db);
  const again = await createUser(db, { ...signupInput(), email: user.email.toUpperCase() });
  expect(again).toEqual({ field: 'email', message: 'This email is already registered. Log in instead?' });
  const after = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs`.execute(db);
  expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
});

test('a worker delivers the welcome email to the new user with a link to their page', async () => {
  const user = await signUp();
  expect(await outboxFor(user.email)).toEqual([]);
  const runner = await startWorker({ pool, taskList, concurrency: 2, pollInterval: 100 });
  try {
    const [email] = await waitFor(() => outboxFor(user.email), (messages) => messages.length > 0);
    expect(email).toMatchObject({ to: user.email, subject: 'Welcome to Makerfund', tag: 'welcome', from: env().EMAIL_FROM });
    expect(email?.text).toContain(`Hi ${user.displayName},`);
    expect(email?.text).toContain(`${env().APP_URL}/@${user.handle}`);
    expect(email?.text).toContain(`${env().APP_URL}/settings/profile`);
    await waitFor(remainingJobs, (n) => n === 0);
    expect(await pendingWelcomeJobs(user.id)).toEqual([]);
  } finally {
    await runner.stop();
  }
  expect(await outboxFor(user.email)).toHaveLength(1);
});

test('two workers on the same database deliver each welcome email exactly once', async () => {
  // Two pools, as two processes (an app server and `npm run worker`) would have.
  const poolA = createPool(env().DATABASE_URL, 4);
  const poolB = createPool(env().DATABASE_URL, 4);
  const workerA = await startWorker({ pool: poolA, taskList, concurrency: 4, pollInterval: 100 });
  const workerB = await startWorker({ pool: poolB, taskList, concurrency: 4, pollInterval: 100 });
  const completed: string[] = [];
  for (const worker of [workerA, workerB]) worker.events.on('job:success', ({ job }) => completed.push(String(job.id)));
  try {
    const users = await Promise.all(Array.from({ length: 12 }, () => signUp()));
    await waitFor(remainingJobs, (n) => n === 0);
    // Give a second delivery the chance to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const user of users) {
      const messages = await outboxFor(user.email);
      expect(messages, user.email).toHaveLength(1);
      expect(messages[0]?.text).toContain(`/@${user.handle}`);
    }
    expect(completed).toHaveLength(12);
    expect(new Set(completed).size).toBe(12);
  } finally {
    await Promise.all([workerA.stop(), workerB.stop()]);
    await Promise.all([poolA.end(), poolB.end()]);
  }
});
