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

/**
 * Counts this attempt against the IP key, then the account key, before any password
 * is checked, and returns the minutes to wait when a key is over its limit (0: go
 * ahead). Each count is one atomic upsert whose result decides, so a burst of
 * concurrent guesses cannot all pass a check while the first are still being
 * verified. An IP that is refused does not count against the account it tried.
 */
export async function reserveAttempt(db: Executor, keys: ThrottleKeys): Promise<number> {
  for (const [kind, key] of [['ip', keys.ip], ['account', keys.account]] as const) {
    const limit = LIMITS[kind];
    const window = sql`make_interval(mins => ${limit.windowMinutes})`;
    const block = sql`make_interval(mins => ${limit.blockMinutes})`;
    // A fresh window starts only once the old one and any block are both over.
    const expired = sql`(t.window_started_at < now() - ${window} and (t.blocked_until is null or t.blocked_until <= now()))`;
    // clock_timestamp(), not now(): a statement that waited for the row lock started before the
    // block was set, and would otherwise tell the person to wait 16 minutes.
    const { rows } = await sql<{ failures: number; minutes: number | null }>`
      insert into login_throttles as t (key, failures, window_started_at, blocked_until)
      values (${key}, 1, now(), case when ${limit.failures} <= 1 then now() + ${block} end)
      on conflict (key) do update set
        failures = case when ${expired} then 1 else t.failures + 1 end,
        window_started_at = case when ${expired} then now() else t.window_started_at end,
        blocked_until = case
          when ${expired} then null
          when t.failures + 1 = ${limit.failures} then now() + ${block}
          else t.blocked_until end
      returning failures, ceil(extract(epoch from (blocked_until - clock_timestamp())) / 60)::int as minutes
    `.execute(db);
    const row = rows[0];
    if (row && row.failures > limit.failures) return Math.max(1, row.minutes ?? 1);
  }
  return 0;
}

/** The attempt counted by reserveAttempt was good: forget the account's failures and give the IP its attempt back. */
export async function recordSuccess(db: Executor, keys: ThrottleKeys): Promise<void> {
  await db.deleteFrom('login_throttles').where('key', '=', keys.account).execute();
  await db
    .updateTable('login_throttles')
    .set({ failures: sql<number>`greatest(failures - 1, 0)` })
    .where('key', '=', keys.ip)
    .execute();
}
