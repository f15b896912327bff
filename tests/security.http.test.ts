import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { db } from '#app/core/db.server.ts';
import { Browserish, startTestApp } from './http.ts';
import { createTestUser, type TestUser } from './factories.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

const FOREIGN_ORIGINS = [null, 'https://evil.example', 'null'] as const;

/** Every table's row count and a digest of its contents: any insert, update or delete changes it. */
async function snapshotDatabase(): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }>`
    select quote_ident(schemaname) || '.' || quote_ident(tablename) as name
    from pg_tables where schemaname in ('public', 'graphile_worker') order by 1
  `.execute(db);
  expect(tables.rows.map((row) => row.name)).toEqual(expect.arrayContaining(['public.users', 'public.user_sessions', 'public.login_throttles']));
  const snapshot: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const { rows } = await sql<{ n: number; digest: string }>`
      select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from ${sql.raw(name)} t
    `.execute(db);
    snapshot[name] = `${rows[0]?.n} rows, ${rows[0]?.digest}`;
  }
  return snapshot;
}

async function loggedIn(user: TestUser) {
  const browser = new Browserish(app.url);
  const response = await browser.post('/login', { email: user.email, password: user.password, redirectTo: '/' });
  expect(response.status).toBe(302);
  return { browser, sessionId: browser.cookies.get('mf_session') as string };
}

function expectOriginRefusal(response: Response, body: string) {
  expect(response.status).toBe(403);
  expect(body).toContain('Origin check failed');
  expect(response.headers.getSetCookie()).toEqual([]);
}

test('signup from a missing or foreign Origin is refused with 403 and creates nothing', async () => {
  for (const origin of FOREIGN_ORIGINS) {
    const before = await snapshotDatabase();
    const browser = new Browserish(app.url);
    const email = `csrf-${String(origin).replace(/\W/g, '')}@example.test`;
    const response = await browser.post('/signup', { email, displayName: 'Csrf', handle: `csrf-${Date.now()}`, password: 'a long passphrase' }, { origin });
    expectOriginRefusal(response, await response.text());
    expect(await snapshotDatabase(), String(origin)).toEqual(before);
  }
});

test('login from a missing or foreign Origin is refused with 403 and starts no session', async () => {
  const user = await createTestUser();
  for (const origin of FOREIGN_ORIGINS) {
    const before = await snapshotDatabase();
    const browser = new Browserish(app.url);
    const response = await browser.post('/login', { email: user.email, password: user.password, redirectTo: '/' }, { origin });
    expectOriginRefusal(response, await response.text());
    expect(browser.cookies.has('mf_session')).toBe(false);
    expect(await snapshotDatabase(), String(origin)).toEqual(before);
  }
});

test('logout from a missing or foreign Origin is refused with 403 and the session lives on', async () => {
  const { browser } = await loggedIn(await createTestUser());
  for (const origin of FOREIGN_ORIGINS) {
    const before = await snapshotDatabase();
    const response = await browser.post('/logout', {}, { origin });
    expectOriginRefusal(response, await response.text());
    expect(await snapshotDatabase(), String(origin)).toEqual(before);
  }
  expect(await (await browser.get('/')).text()).toContain('Signed in as');
});

test('a profile update from a missing or foreign Origin is refused with 403 and changes nothing', async () => {
  const user = await createTestUser();
  const { browser } = await loggedIn(user);
  for (const origin of FOREIGN_ORIGINS) {
    const before = await snapshotDatabase();
    const response = await browser.post('/settings/profile', { displayName: 'Defaced', bio: 'pwned', 'links[0].url': 'https://evil.example' }, { origin });
    expectOriginRefusal(response, await response.text());
    expect(await snapshotDatabase(), String(origin)).toEqual(before);
  }
  const row = await db.selectFrom('users').select(['display_name', 'bio']).where('id', '=', user.id).executeTakeFirstOrThrow();
  expect(row).toEqual({ display_name: user.displayName, bio: '' });
});

test('the same form posts from our own Origin go through (the refusals above are about the Origin)', async () => {
  const user = await createTestUser();
  const { browser } = await loggedIn(user);
  const saved = await browser.post('/settings/profile', { displayName: 'Renamed' });
  expect(saved.status, (await saved.clone().text()).match(/<ul class="field-errors"[^>]*>(.+?)<\/ul>|form-errors.{0,300}/g)?.join('\n')).toBe(200);
  expect((await db.selectFrom('users').select('display_name').where('id', '=', user.id).executeTakeFirstOrThrow()).display_name).toBe('Renamed');
});

test('HTML pages and 404s carry a nonce-based CSP that matches every script tag, and the other security headers', async () => {
  const maker = await createTestUser();
  const anonymous = new Browserish(app.url);
  const badLogin = () => anonymous.post('/login', { email: 'nobody@example.test', password: 'wrong password', redirectTo: '/' });
  const pages: [string, () => Promise<Response>, number][] = [
    ['/', () => anonymous.get('/'), 200],
    ['/login', () => anonymous.get('/login'), 200],
    ['/signup', () => anonymous.get('/signup'), 200],
    [`/@${maker.handle}`, () => anonymous.get(`/@${maker.handle}`), 200],
    ['login error', badLogin, 400],
    ['/@nobody', () => anonymous.get('/@nobody'), 404],
    ['/no/such/page', () => anonymous.get('/no/such/page'), 404],
  ];
  const nonces = new Set<string>();
  for (const [name, load, status] of pages) {
    const response = await load();
    const html = await response.text();
    expect(response.status, name).toBe(status);
    expect(response.headers.get('content-type'), name).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    const directives = new Map(csp.split(';').map((part) => part.trim().split(/\s+/)).map(([key, ...values]) => [key, values]));
    const nonce = directives.get('script-src')?.find((value) => value.startsWith("'nonce-"))?.slice("'nonce-".length, -1);
    expect(nonce, name).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(directives.get('script-src'), name).not.toContain("'unsafe-inline'");
    expect(directives.get('object-src'), name).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors'), name).toEqual(["'none'"]);
    expect(directives.get('base-uri'), name).toEqual(["'self'"]);
    // Forms may go to our own origin, and redirect to Stripe's hosted pages (Checkout, portal) and nowhere else.
    expect(directives.get('form-action'), name).toEqual(["'self'", 'https://checkout.stripe.com', 'https://billing.stripe.com', 'https://connect.stripe.com']);
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((match) => match[1] ?? '');
    expect(scripts.length, name).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes, name).toContain(`nonce="${nonce}"`);
    expect(html, name).not.toMatch(/\son[a-z]+=/i);
    expect(response.headers.get('x-content-type-options'), name).toBe('nosniff');
    expect(response.headers.get('referrer-policy'), name).toBe('strict-origin-when-cross-origin');
    expect(response.headers.get('x-frame-options'), name).toBe('DENY');
    nonces.add(nonce as string);
  }
  // A fresh nonce per response; a fixed one would be as good as none.
  expect(nonces.size).toBe(pages.length);
});

test('no page or route data shows a password hash, a session id or another user\'s email', async () => {
  const maker = await createTestUser({ displayName: 'Maker A' });
  const viewer = await createTestUser({ displayName: 'Viewer B' });
  await db.updateTable('users').set({ bio: 'I make parsers.', links: JSON.stringify([{ label: 'Code', url: 'https://code.example/a' }]) }).where('id', '=', maker.id).execute();
  const makerSession = await loggedIn(maker);
  const { browser, sessionId } = await loggedIn(viewer);
  const hashes = await db.selectFrom('users').select('password_hash').where('id', 'in', [maker.id, viewer.id]).execute();
  const paths = [
    '/',
    `/@${maker.handle}`,
    `/@${maker.handle}.data`,
    `/@${viewer.handle}`,
    `/@${viewer.handle}.data`,
    '/settings/profile',
    '/settings/profile.data',
    '/_root.data',
    '/dev/outbox',
    '/@nobody',
    '/no/such/page',
  ];
  for (const path of paths) {
    const response = await browser.get(path);
    expect(response.status, path).toBeLessThan(500);
    const body = await response.text();
    expect(body, path).not.toContain('$argon2');
    for (const { password_hash } of hashes) expect(body, path).not.toContain(password_hash.slice(-20));
    expect(body, path).not.toContain(sessionId);
    expect(body, path).not.toContain(makerSession.sessionId);
    expect(body, path).not.toContain(createHash('sha256').update(sessionId).digest('hex'));
    expect(body.toLowerCase(), path).not.toContain(maker.email.toLowerCase());
    expect(body, path).not.toContain(maker.password);
    expect(body, path).not.toContain(viewer.password);
  }
  // The maker page really is the maker's, so the checks above looked at the right content.
  const page = await (await browser.get(`/@${maker.handle}`)).text();
  expect(page).toContain('Maker A');
  expect(page).toContain('I make parsers.');
});

test('a GET crawl over every page, signed in and not, writes nothing to the database', async () => {
  const maker = await createTestUser();
  const { browser } = await loggedIn(await createTestUser());
  const anonymous = new Browserish(app.url);
  const before = await snapshotDatabase();
  const crawl: [Browserish, string][] = [
    [anonymous, '/'],
    [anonymous, '/login'],
    [anonymous, '/login?redirectTo=%2Fsettings%2Fprofile'],
    [anonymous, '/signup'],
    [anonymous, `/@${maker.handle}`],
    [anonymous, '/settings/profile'],
    [anonymous, '/logout'],
    [anonymous, '/dev/outbox'],
    [anonymous, '/@nobody'],
    [anonymous, '/no/such/page'],
    [anonymous, '/healthz'],
    [browser, '/'],
    [browser, '/login'],
    [browser, '/signup'],
    [browser, `/@${maker.handle}`],
    [browser, `/@${maker.handle}.data`],
    [browser, '/settings/profile'],
    [browser, '/settings/profile.data'],
    [browser, '/_root.data'],
    [browser, '/dev/outbox'],
    [browser, '/@nobody'],
    [browser, '/no/such/page'],
    [browser, '/logout'],
  ];
  for (const [client, path] of crawl) {
    const response = await client.get(path);
    await response.arrayBuffer();
    expect(response.status, path).toBeLessThan(500);
  }
  expect(await snapshotDatabase()).toEqual(before);
  expect(await (await browser.get('/')).text()).toContain('Signed in as');
});

test('an unknown maker is a 404 page that names the handle and links home', async () => {
  const response = await new Browserish(app.url).get('/@nobody');
  expect(response.status).toBe(404);
  const html = await response.text();
  expect(html).toContain('Page not found');
  expect(html).toContain('There is no maker called @nobody.');
  expect(html).toMatch(/<a [^>]*href="\/"[^>]*>go to the home page<\/a>/);
});

test('an unknown path is a 404 page with a helpful message and a link home', async () => {
  for (const path of ['/no/such/page', '/nosuchpage', '/settings/nothing']) {
    const response = await new Browserish(app.url).get(path);
    expect(response.status, path).toBe(404);
    const html = await response.text();
    expect(html, path).toContain('Page not found');
    expect(html, path).toContain('We could not find that page.');
    expect(html, path).toContain('Maker pages look like <code>/@handle</code>');
    expect(html, path).toMatch(/<a [^>]*href="\/"[^>]*>go to the home page<\/a>/);
  }
});

test('/healthz reports the app and its database', async () => {
  const response = await fetch(new URL('/healthz', app.url));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await response.json()).toEqual({ status: 'ok', database: 'reachable' });
});
