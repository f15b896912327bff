import { redirect } from '@remix-run/node';
import { Lucia, TimeSpan, type Session, type User } from 'lucia';
import { db } from '#app/core/db.server.ts';
import { env } from '#app/core/env.server.ts';
import { singleton } from '#app/core/singleton.server.ts';
import { hashSessionId, KyselySessionAdapter } from './session-adapter.server.ts';
import { safeRedirectPath } from './redirects.ts';

/** Idle expiry slides: a session used at least once every 14 days lives on, up to its absolute limit. */
export const SESSION_IDLE = new TimeSpan(14, 'd');
export const SESSION_ABSOLUTE_MS = 60 * 24 * 60 * 60 * 1000;

export const lucia = singleton(
  'lucia',
  () =>
    new Lucia(new KyselySessionAdapter(db), {
      sessionExpiresIn: SESSION_IDLE,
      sessionCookie: {
        name: 'mf_session',
        expires: true,
        attributes: { secure: env().NODE_ENV === 'production', sameSite: 'lax', path: '/' },
      },
      getUserAttributes: (attributes) => ({
        email: attributes.email,
        handle: attributes.handle,
        displayName: attributes.display_name,
      }),
    }),
);

declare module 'lucia' {
  interface Register {
    Lucia: typeof lucia;
    DatabaseUserAttributes: { email: string; handle: string; display_name: string };
    DatabaseSessionAttributes: { absolute_expires_at: Date };
  }
}

export type CurrentUser = User;
export type SessionState = { user: User; session: Session } | { user: null; session: null };

/**
 * Our cookie only: lucia's parser throws on any malformed percent-escape anywhere in the
 * Cookie header (another app's cookie on the domain), which would make every page a 500.
 */
function readSessionId(request: Request): string | null {
  const prefix = `${lucia.sessionCookieName}=`;
  const ours = (request.headers.get('cookie') ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(prefix));
  try {
    return lucia.readSessionCookie(ours.join('; '));
  } catch {
    return null;
  }
}

/**
 * Reads and validates the session cookie. When lucia extended the session
 * (sliding expiry) or found it dead, `setCookie` carries the header to send back.
 */
export async function readSession(request: Request): Promise<SessionState & { setCookie: string | null }> {
  const sessionId = readSessionId(request);
  if (!sessionId) return { user: null, session: null, setCookie: null };
  const result = await lucia.validateSession(sessionId);
  if (!result.session) return { user: null, session: null, setCookie: lucia.createBlankSessionCookie().serialize() };
  return {
    ...result,
    setCookie: result.session.fresh ? lucia.createSessionCookie(result.session.id).serialize() : null,
  };
}

export async function getUser(request: Request): Promise<User | null> {
  return (await readSession(request)).user;
}

/** Guard: the signed-in user, or a redirect to the login page that comes back here afterwards. */
export async function requireUser(request: Request): Promise<User> {
  const user = await getUser(request);
  if (user) return user;
  const url = new URL(request.url);
  const back = safeRedirectPath(`${url.pathname}${url.search}`);
  throw redirect(`/login?redirectTo=${encodeURIComponent(back)}`);
}

/** Guard for pages only for visitors (login, signup). */
export async function requireAnonymous(request: Request): Promise<void> {
  if (await getUser(request)) throw redirect('/');
}

/** A new session id on every login: a session fixed before login is never promoted. */
export async function startSession(userId: string): Promise<string> {
  const session = await lucia.createSession(userId, { absolute_expires_at: new Date(Date.now() + SESSION_ABSOLUTE_MS) });
  return lucia.createSessionCookie(session.id).serialize();
}

export async function endSession(request: Request): Promise<string> {
  const sessionId = readSessionId(request);
  if (sessionId) await lucia.invalidateSession(sessionId);
  return lucia.createBlankSessionCookie().serialize();
}

export async function endOtherSessions(userId: string, keepSessionId: string): Promise<void> {
  await db
    .deleteFrom('user_sessions')
    .where('user_id', '=', userId)
    .where('id', '!=', hashSessionId(keepSessionId))
    .execute();
}
