import { sql } from 'kysely';
import type { Executor } from '#app/core/db.server.ts';

/**
 * Daily housekeeping (the `clean_up_accounts` job): sessions past their idle or absolute
 * expiry, and login-throttle counters whose window and block ended more than a day ago.
 * Neither can be used any more; keeping them only grows the tables.
 */
export async function cleanUpAccounts(db: Executor): Promise<{ sessions: number; throttles: number }> {
  const sessions = await db
    .deleteFrom('user_sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', sql<Date>`now()`), eb('absolute_expires_at', '<=', sql<Date>`now()`)]))
    .executeTakeFirst();
  const throttles = await db
    .deleteFrom('login_throttles')
    .where('window_started_at', '<', sql<Date>`now() - interval '1 day'`)
    .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', sql<Date>`now() - interval '1 day'`)]))
    .executeTakeFirst();
  return { sessions: Number(sessions.numDeletedRows), throttles: Number(throttles.numDeletedRows) };
}
