import { createHash } from 'node:crypto';
import type { Adapter, DatabaseSession, DatabaseUser } from 'lucia';
import type { Database } from '#app/core/db.server.ts';

/** The database keeps SHA-256(session id), never the id itself: a leaked table cannot be replayed as cookies. */
export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

/**
 * Lucia v3 adapter over Kysely. Lucia hands us the raw session id (from the
 * cookie); every read and write goes through its hash. A session past its
 * absolute expiry is treated as absent even while its sliding expiry is fresh.
 */
export class KyselySessionAdapter implements Adapter {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const row = await this.#db
      .selectFrom('user_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['s.user_id', 's.expires_at', 's.absolute_expires_at', 'u.email', 'u.handle', 'u.display_name'])
      .where('s.id', '=', hashSessionId(sessionId))
      .where('s.absolute_expires_at', '>', new Date())
      .executeTakeFirst();
    if (!row) return [null, null];
    return [
      { id: sessionId, userId: row.user_id, expiresAt: row.expires_at, attributes: { absolute_expires_at: row.absolute_expires_at } },
      { id: row.user_id, attributes: { email: row.email, handle: row.handle, display_name: row.display_name } },
    ];
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    const rows = await this.#db
      .selectFrom('user_sessions')
      .select(['id', 'user_id', 'expires_at', 'absolute_expires_at'])
      .where('user_id', '=', userId)
      .execute();
    // Only hashes are stored, so these ids can identify sessions but never act as cookies.
    return rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      expiresAt: row.expires_at,
      attributes: { absolute_expires_at: row.absolute_expires_at },
    }));
  }

  async setSession(session: DatabaseSession): Promise<void> {
    await this.#db
      .insertInto('user_sessions')
      .values({
        id: hashSessionId(session.id),
        user_id: session.userId,
        expires_at: session.expiresAt,
        absolute_expires_at: session.attributes.absolute_expires_at,
      })
      .execute();
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    await this.#db.updateTable('user_sessions').set({ expires_at: expiresAt }).where('id', '=', hashSessionId(sessionId)).execute();
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.#db.deleteFrom('user_sessions').where('id', '=', hashSessionId(sessionId)).execute();
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.#db.deleteFrom('user_sessions').where('user_id', '=', userId).execute();
  }

  async deleteExpiredSessions(): Promise<void> {
    const now = new Date();
    await this.#db
      .deleteFrom('user_sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('absolute_expires_at', '<=', now)]))
      .execute();
  }
}
