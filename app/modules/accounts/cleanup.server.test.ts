import { sql } from 'kysely';
import { expect, test } from 'vitest';
import { db } from '#app/core/db.server.ts';
import { createTestUser } from '#tests/factories.ts';
import { cleanUpAccounts } from './cleanup.server.ts';

test('the daily clean-up deletes dead sessions and old throttle counters, and keeps everything still in use', async () => {
  const user = await createTestUser();
  const day = 24 * 60 * 60 * 1000;
  const now = Date.now();
  await db
    .insertInto('user_sessions')
    .values([
      { id: 'live', user_id: user.id, expires_at: new Date(now + day), absolute_expires_at: new Date(now + 30 * day) },
      { id: 'idle-expired', user_id: user.id, expires_at: new Date(now - 1000), absolute_expires_at: new Date(now + 30 * day) },
      { id: 'absolute-expired', user_id: user.id, expires_at: new Date(now + day), absolute_expires_at: new Date(now - 1000) },
    ])
    .execute();
  await sql`insert into login_throttles (key, failures, window_started_at, blocked_until) values
    ('account:fresh@example.test', 2, now(), null),
    ('account:blocked@example.test', 5, now() - interval '2 days', now() + interval '10 minutes'),
    ('account:old@example.test', 3, now() - interval '2 days', null),
    ('ip:192.0.2.1', 30, now() - interval '3 days', now() - interval '2 days')`.execute(db);

  expect(await cleanUpAccounts(db)).toEqual({ sessions: 2, throttles: 2 });
  expect((await db.selectFrom('user_sessions').select('id').execute()).map((row) => row.id)).toEqual(['live']);
  expect((await db.selectFrom('login_throttles').select('key').orderBy('key').execute()).map((row) => row.key)).toEqual([
    'account:blocked@example.test',
    'account:fresh@example.test',
  ]);
});
