import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { db } from '#app/core/db.server.ts';
import { Browserish, startTestApp } from './http.ts';
import { createTestUser } from './factories.ts';

// This app sits behind one (pretend) reverse proxy, so each request can come from its own client
// address via X-Forwarded-For. Set before any app module reads the configuration.
vi.hoisted(() => {
  process.env.TRUST_PROXY = 'true';
});

let app: Awaited<ReturnType<typeof startTestApp>>;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

const WRONG_CREDENTIALS = 'That email and password do not match an account. Check both and try again.';
const TOO_MANY = 'Too many failed attempts. Please wait 15 minutes and try again.';

let ipCounter = 0;
/** A fresh client address from the documentation range, unique to this test file run. */
function freshIp(): string {
  ipCounter += 1;
  return `198.51.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

type Outcome = 'logged in' | 'wrong credentials' | 'too many attempts';

/** One login as a browser behind the proxy at `ip` would send it; what the person sees. */
async function attempt(email: string, password: string, ip: string): Promise<Outcome> {
  const browser = new Browserish(app.url);
  const response = await browser.post('/login', { email, password, redirectTo: '/' }, { headers: { 'x-forwarded-for': ip } });
  const body = await response.text();
  if (response.status === 302) {
    expect(browser.cookies.get('mf_session')).toBeTruthy();
    return 'logged in';
  }
  expect(response.status).toBe(400);
  expect(browser.cookies.has('mf_session')).toBe(false);
  if (body.includes(TOO_MANY)) return 'too many attempts';
  expect(body).toContain(WRONG_CREDENTIALS);
  return 'wrong credentials';
}

async function throttleRow(key: string) {
  return db.selectFrom('login_throttles').selectAll().where('key', '=', key).executeTakeFirst();
}

async function sessionCount(userId: string): Promise<number> {
  const rows = await db.selectFrom('user_sessions').select('id').where('user_id', '=', userId).execute();
  return rows.length;
}

function minutesFromNow(date: Date | null | undefined): number {
  return ((date?.getTime() ?? 0) - Date.now()) / 60_000;
}

test('after five wrong passwords from any IPs, the sixth attempt is refused even with the right password', async () => {
  const user = await createTestUser();
  for (let index = 0; index < 5; index += 1) {
    expect(await attempt(user.email, `wrong guess ${index}`, freshIp())).toBe('wrong credentials');
  }
  const row = await throttleRow(`account:${user.email}`);
  expect(row?.failures).toBe(5);
  expect(minutesFromNow(row?.blocked_until)).toBeGreaterThan(14);
  expect(minutesFromNow(row?.blocked_until)).toBeLessThanOrEqual(15);

  expect(await attempt(user.email, user.password, freshIp())).toBe('too many attempts');
  expect(await attempt(user.email.toUpperCase(), user.password, freshIp())).toBe('too many attempts');
  expect(await sessionCount(user.id)).toBe(0);
});

test('an email with no account is locked the same way and gets the same answers', async () => {
  const email = `ghost-${randomBytes(4).toString('hex')}@example.test`;
  const outcomes: Outcome[] = [];
  for (let index = 0; index < 6; index += 1) outcomes.push(await attempt(email, `guess ${index}`, freshIp()));
  expect(outcomes).toEqual([...Array(5).fill('wrong credentials'), 'too many attempts']);
  const row = await throttleRow(`account:${email}`);
  expect(row?.failures).toBeGreaterThanOrEqual(5);
  expect(minutesFromNow(row?.blocked_until)).toBeGreaterThan(14);
});

test('a successful login resets the account counter', async () => {
  const user = await createTestUser();
  for (let index = 0; index < 4; index += 1) expect(await attempt(user.email, `wrong ${index}`, freshIp())).toBe('wrong credentials');
  expect((await throttleRow(`account:${user.email}`))?.failures).toBe(4);
  expect(await attempt(user.email, user.password, freshIp())).toBe('logged in');
  expect(await throttleRow(`account:${user.email}`)).toBeUndefined();
  // Four more mistakes are allowed again before the lock.
  for (let index = 0; index < 4; index += 1) expect(await attempt(user.email, `again ${index}`, freshIp())).toBe('wrong credentials');
  expect(await attempt(user.email, user.password, freshIp())).toBe('logged in');
});

test('successful logins do not count towards the per-IP limit', async () => {
  const ip = freshIp();
  const users = await Promise.all(Array.from({ length: 3 }, () => createTestUser()));
  for (let round = 0; round < 2; round += 1) {
    for (const user of users) expect(await attempt(user.email, user.password, ip)).toBe('logged in');
  }
  expect(await attempt(users[0]?.email as string, 'a wrong one', ip)).toBe('wrong credentials');
  expect((await throttleRow(`ip:${ip}`))?.failures).toBe(1);
});

test('30 failures from one IP across different emails block that IP for every account, and not other IPs', async () => {
  const ip = freshIp();
  const user = await createTestUser();
  for (let index = 0; index < 30; index += 1) {
    expect(await attempt(`spray-${index}-${randomBytes(3).toString('hex')}@example.test`, 'Summer2026!', ip)).toBe('wrong credentials');
  }
  const row = await throttleRow(`ip:${ip}`);
  expect(row?.failures).toBe(30);
  expect(minutesFromNow(row?.blocked_until)).toBeGreaterThan(14);
  // The right password for an account this IP never tried is refused too...
  expect(await attempt(user.email, user.password, ip)).toBe('too many attempts');
  expect(await sessionCount(user.id)).toBe(0);
  // ...but only from that IP; the account itself is not locked.
  expect(await attempt(user.email, user.password, freshIp())).toBe('logged in');
});

test('the per-IP counter uses the address the proxy saw, not one the client wrote into X-Forwarded-For', async () => {
  const proxySaw = freshIp();
  const user = await createTestUser();
  for (let index = 0; index < 30; index += 1) {
    // A client can send its own X-Forwarded-For; the proxy appends the real address after it.
    const spoofed = `203.0.113.${index + 1}, ${proxySaw}`;
    expect(await attempt(`rotate-${index}-${randomBytes(3).toString('hex')}@example.test`, 'Summer2026!', spoofed)).toBe('wrong credentials');
  }
  expect((await throttleRow(`ip:${proxySaw}`))?.failures).toBe(30);
  const spoofedRows = await db.selectFrom('login_throttles').select('key').where('key', 'like', 'ip:203.0.113.%').execute();
  expect(spoofedRows).toEqual([]);
  expect(await attempt(user.email, user.password, `203.0.113.250, ${proxySaw}`)).toBe('too many attempts');
});

test('a burst of concurrent guesses for one account still gets only five tries', async () => {
  const user = await createTestUser();
  const outcomes = await Promise.all(Array.from({ length: 24 }, (_, index) => attempt(user.email, `burst ${index}`, freshIp())));
  expect(outcomes.filter((outcome) => outcome === 'wrong credentials')).toHaveLength(5);
  expect(outcomes.filter((outcome) => outcome === 'too many attempts')).toHaveLength(19);
  expect(await attempt(user.email, user.password, freshIp())).toBe('too many attempts');
});

test('the lock lifts once its time is over', async () => {
  const user = await createTestUser();
  for (let index = 0; index < 5; index += 1) await attempt(user.email, `wrong ${index}`, freshIp());
  expect(await attempt(user.email, user.password, freshIp())).toBe('too many attempts');
  // Sixteen minutes later.
  await db
    .updateTable('login_throttles')
    .set({
      window_started_at: sql<Date>`window_started_at - interval '16 minutes'`,
      blocked_until: sql<Date>`blocked_until - interval '16 minutes'`,
    })
    .where('key', '=', `account:${user.email}`)
    .execute();
  expect(await attempt(user.email, user.password, freshIp())).toBe('logged in');
  expect(await throttleRow(`account:${user.email}`)).toBeUndefined();
});

test('failures older than the 15-minute window do not count towards a lock', async () => {
  const user = await createTestUser();
  for (let index = 0; index < 4; index += 1) await attempt(user.email, `wrong ${index}`, freshIp());
  await db
    .updateTable('login_throttles')
    .set({ window_started_at: sql<Date>`window_started_at - interval '16 minutes'` })
    .where('key', '=', `account:${user.email}`)
    .execute();
  expect(await attempt(user.email, 'wrong again', freshIp())).toBe('wrong credentials');
  expect((await throttleRow(`account:${user.email}`))?.failures).toBe(1);
  expect(await attempt(user.email, user.password, freshIp())).toBe('logged in');
});
