import type { Executor } from '#app/core/db.server.ts';
import { logger } from '#app/core/logger.server.ts';
import { verifyPassword } from './passwords.server.ts';
import type { LoginInput } from './schemas.ts';
import { recordSuccess, reserveAttempt, throttleKeys } from './throttle.server.ts';
import { findUserForLogin } from './users.server.ts';

export const WRONG_CREDENTIALS = 'That email and password do not match an account. Check both and try again.';

export type LoginResult = { ok: true; userId: string } | { ok: false; message: string };

/**
 * Checks a login. Unknown email and wrong password give the same answer after
 * the same work (an argon2 verify either way); throttling applies to the
 * account key whether or not the account exists.
 */
export async function attemptLogin(db: Executor, input: LoginInput, ip: string): Promise<LoginResult> {
  const keys = throttleKeys(input.email, ip);
  // Counted before the (slow) password check, so concurrent guesses cannot overrun the limit.
  const blocked = await reserveAttempt(db, keys);
  if (blocked > 0) {
    logger.warn({ event: 'auth.login.throttled', ip }, 'login throttled');
    return { ok: false, message: `Too many failed attempts. Please wait ${blocked} minute${blocked === 1 ? '' : 's'} and try again.` };
  }
  const user = await findUserForLogin(db, input.email);
  const valid = await verifyPassword(user?.password_hash ?? null, input.password);
  if (!user || !valid) {
    logger.info({ event: 'auth.login.failed', ip }, 'login failed');
    return { ok: false, message: WRONG_CREDENTIALS };
  }
  await recordSuccess(db, keys);
  logger.info({ event: 'auth.login.succeeded', userId: user.id, ip }, 'login succeeded');
  return { ok: true, userId: user.id };
}
