import { randomBytes } from 'node:crypto';
import { db } from '#app/core/db.server.ts';
import { createUser } from '#app/modules/accounts/users.server.ts';

let counter = 0;

export type TestUser = { id: string; email: string; handle: string; displayName: string; password: string };

/** A real account through the same code path as signup (argon2 hash included). */
export async function createTestUser(overrides: Partial<Omit<TestUser, 'id'>> = {}): Promise<TestUser> {
  counter += 1;
  const suffix = `${counter}${randomBytes(3).toString('hex')}`;
  const input = {
    email: overrides.email ?? `user${suffix}@example.test`,
    handle: overrides.handle ?? `user-${suffix}`,
    displayName: overrides.displayName ?? `Test User ${counter}`,
    password: overrides.password ?? `correct horse ${suffix}`,
  };
  const result = await createUser(db, input, { welcomeEmail: false });
  if (!('id' in result)) throw new Error(`createTestUser: ${result.message}`);
  return { id: result.id, ...input };
}
