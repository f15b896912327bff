import { afterAll, beforeAll, expect, test } from 'vitest';
import { db } from '#app/core/db.server.ts';
import { Browserish, startTestApp } from './http.ts';
import { createTestUser } from './factories.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

async function userCount() {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

test('signing up creates the account, logs the person in and shows them in the header', async () => {
  const browser = new Browserish(app.url);
  const response = await browser.post('/signup', { email: 'grace@example.test', displayName: 'Grace H', handle: 'Grace-H', password: 'a long passphrase' });
  expect(response.status).toBe(302);
  expect(response.headers.get('location')).toBe('/settings/profile?welcome=1');
  const cookie = response.headers.getSetCookie().find((value) => value.startsWith('mf_session='));
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Lax/i);
  expect(cookie).toMatch(/Path=\//);
  const home = await (await browser.get('/')).text();
  expect(home).toContain('Signed in as <strong>Grace H</strong>');
  expect(home).toContain('@grace-h');
});

test('a duplicate email or handle is refused next to the field and writes nothing', async () => {
  const existing = await createTestUser();
  const before = await userCount();
  const browser = new Browserish(app.url);
  const dupEmail = await browser.post('/signup', { email: existing.email.toUpperCase(), displayName: 'X', handle: 'fresh-handle', password: 'a long passphrase' });
  expect(dupEmail.status).toBe(400);
  expect(await dupEmail.text()).toContain('This email is already registered');
  const dupHandle = await browser.post('/signup', { email: 'new@example.test', displayName: 'X', handle: existing.handle, password: 'a long passphrase' });
  expect(dupHandle.status).toBe(400);
  expect(await dupHandle.text()).toContain('This handle is taken');
  expect(await userCount()).toBe(before);
});

test('weak, too long or malformed input gets a message per field and writes nothing', async () => {
  const before = await userCount();
  const browser = new Browserish(app.url);
  const cases: [Record<string, string>, string][] = [
    [{ email: 'not-an-email', displayName: 'A', handle: 'abc', password: 'a long passphrase' }, 'Enter an email address like name@example.com'],
    [{ email: 'a@example.test', displayName: 'A', handle: 'abc', password: 'short' }, 'Use at least 8 characters'],
    [{ email: 'a@example.test', displayName: 'A', handle: 'abc', password: 'x'.repeat(257) }, 'Use at most 256 characters'],
    [{ email: 'a@example.test', displayName: 'A', handle: 'abc', password: 'password123' }, 'This password is too common'],
    [{ email: 'a@example.test', displayName: 'A', handle: '-bad-', password: 'a long passphrase' }, 'Use letters, digits and single dashes'],
  ];
  for (const [form, message] of cases) {
    const response = await browser.post('/signup', form);
    expect(response.status, message).toBe(400);
    expect(await response.text()).toContain(message);
  }
  expect(await userCount()).toBe(before);
});

test('unknown keys in a form are rejected with 400', async () => {
  const browser = new Browserish(app.url);
  const response = await browser.post('/signup', { email: 'role@example.test', displayName: 'R', handle: 'role-test', password: 'a long passphrase', role: 'admin' });
  expect(response.status).toBe(400);
  expect(await db.selectFrom('users').select('id').where('email', '=', 'role@example.test').executeTakeFirst()).toBeUndefined();
});
