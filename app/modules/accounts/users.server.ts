import type { Executor } from '#app/core/db.server.ts';
import { enqueueJob } from '#app/core/jobs.server.ts';
import { hashPassword } from './passwords.server.ts';
import type { ProfileInput, ProfileLink, SignupInput } from './schemas.ts';

export type PublicProfile = { id: string; handle: string; displayName: string; bio: string; links: ProfileLink[]; memberSince: Date };

export type SignupConflict = { field: 'email' | 'handle'; message: string };

/**
 * Creates the account and queues its welcome email in one transaction: either
 * both happen or neither. Uniqueness is the database's (citext unique
 * indexes), so two simultaneous signups for one email cannot both win.
 */
export async function createUser(
  db: Executor,
  input: SignupInput,
  options: { welcomeEmail: boolean } = { welcomeEmail: true },
): Promise<{ id: string } | SignupConflict> {
  const conflict = await findSignupConflict(db, input);
  if (conflict) return conflict;
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction().execute(async (trx) => {
      const user = await trx
        .insertInto('users')
        .values({ email: input.email, handle: input.handle, display_name: input.displayName, password_hash: passwordHash })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (options.welcomeEmail) await enqueueJob(trx, 'send_welcome_email', { userId: user.id });
      return user;
    });
  } catch (error) {
    const constraint = (error as { constraint?: string }).constraint;
    if (constraint === 'users_email_key') return EMAIL_TAKEN;
    if (constraint === 'users_handle_key') return HANDLE_TAKEN;
    throw error;
  }
}

const EMAIL_TAKEN: SignupConflict = { field: 'email', message: 'This email is already registered. Log in instead?' };
const HANDLE_TAKEN: SignupConflict = { field: 'handle', message: 'This handle is taken, please pick another' };

async function findSignupConflict(db: Executor, input: SignupInput): Promise<SignupConflict | null> {
  const rows = await db
    .selectFrom('users')
    .select(['email', 'handle'])
    .where((eb) => eb.or([eb('email', '=', input.email), eb('handle', '=', input.handle)]))
    .execute();
  if (rows.some((row) => row.email.toLowerCase() === input.email.toLowerCase())) return EMAIL_TAKEN;
  if (rows.length > 0) return HANDLE_TAKEN;
  return null;
}

export async function findUserForLogin(db: Executor, email: string) {
  return db.selectFrom('users').select(['id', 'password_hash']).where('email', '=', email).executeTakeFirst();
}

export async function getUserEmail(db: Executor, userId: string) {
  return db.selectFrom('users').select(['email', 'display_name', 'handle']).where('id', '=', userId).executeTakeFirst();
}

export async function getPublicProfile(db: Executor, handle: string): Promise<PublicProfile | null> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'handle', 'display_name', 'bio', 'links', 'created_at'])
    .where('handle', '=', handle)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    handle: row.handle,
    displayName: row.display_name,
    bio: row.bio,
    links: row.links as ProfileLink[],
    memberSince: row.created_at,
  };
}

export async function updateProfile(db: Executor, userId: string, input: ProfileInput): Promise<void> {
  await db
    .updateTable('users')
    .set({ display_name: input.displayName, bio: input.bio, links: JSON.stringify(input.links), updated_at: new Date() })
    .where('id', '=', userId)
    .execute();
}
