import { sql } from 'kysely';
import type { Executor } from '#app/core/db.server.ts';

/**
 * Login throttling with counters in Postgres (one table, upserts), so the limit
 * holds across every app server. Keys are per account (the email as typed,
 * normalised: it applies whether or not the account exists) and per IP.
 */
export const LIMITS = {
  account: { failures: 5, windowMinutes: 15, blockMinutes: 15 },
  ip: { failures: 30, windowMinutes: 15, blockMinutes: 15 },
} as const;

export type ThrottleKeys = { account: string; ip: string };

export function throttleKeys(email: string, ip: string): ThrottleKeys {
  return { account: `account:${email.trim().toLowerCase()}`, ip: `ip:${ip}` };
}

/** Minutes until the caller may try again, or 0 when not blocked. */
export async function minutesBlocked(db: Executor, keys: ThrottleKeys): Promise<number> {
  const row = await db
    .selectFrom('login_throttles')
    .select(sql<number>`max(ceil(extract(epoch from (blocked_until - now())) / 60))`.as('minutes'))
    .where('key', 'in', [keys.account, keys.ip])
    .where('blocked_until', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(row?.minutes ?? 0);
}

export async function recordFailure(db: Executor, keys: ThrottleKeys): Promise<void> {
  for (const [kind, key] of [['account', keys.account], ['ip', keys.ip]] as const) {
    const limit = LIMITS[kind];
    const window = sql`make_interval(mins => ${limit.windowMinutes})`;
    // One statement: restart the window when it is over, count, and block at the limit.
    await sql`
      insert into login_throttles as t (key, failures, window_started_at)
      values (${key}, 1, now())
      on conflict (key) do update set
        failures = case when t.window_started_at < now() - ${window} then 1 else t.failures + 1 end,
        window_started_at = case when t.window_started_at < now() - ${window} then now() else t.window_started_at end,
        blocked_until = case
          when t.window_started_at >= now() - ${window} and t.failures + 1 >= ${limit.failures}
          then now() + make_interval(mins => ${limit.blockMinutes})
          else t.blocked_until end
    `.execute(db);
  }
}

export async function recordSuccess(db: Executor, keys: ThrottleKeys): Promise<void> {
  await db.deleteFrom('login_throttles').where('key', '=', keys.account).execute();
}
