import { afterAll, beforeAll, expect, test } from 'vitest';
import { db } from '#app/core/db.server.ts';
import { Browserish, fieldMessages, logIn, startTestApp } from './http.ts';
import { createTestUser, type TestUser } from './factories.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

async function profileRow(userId: string) {
  return db.selectFrom('users').select(['display_name', 'bio', 'links', 'email', 'handle', 'password_hash', 'updated_at']).where('id', '=', userId).executeTakeFirstOrThrow();
}

function anchors(html: string): { href: string; rel: string; text: string }[] {
  return [...html.matchAll(/<a href="([^"]*)" rel="([^"]*)">(.*?)<\/a>/g)].map((match) => ({ href: match[1] ?? '', rel: match[2] ?? '', text: match[3] ?? '' }));
}

test('a maker edits name, bio and links, and their public page shows them with safe link attributes', async () => {
  const user = await createTestUser();
  const browser = await logIn(app.url, user);
  const response = await browser.post('/settings/profile', {
    displayName: 'Ada Lovelace',
    bio: 'I write notes on the Analytical Engine.',
    'links[0].label': 'GitHub',
    'links[0].url': 'https://github.com/ada',
    'links[1].label': '',
    'links[1].url': 'https://ada.example/notes',
    'links[2].label': '',
    'links[2].url': '',
  });
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('Saved.');

  const row = await profileRow(user.id);
  expect(row.display_name).toBe('Ada Lovelace');
  expect(row.bio).toBe('I write notes on the Analytical Engine.');
  expect(row.links).toEqual([
    { label: 'GitHub', url: 'https://github.com/ada' },
    { label: null, url: 'https://ada.example/notes' },
  ]);

  const page = await new Browserish(app.url).get(`/@${user.handle}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<h1>Ada Lovelace</h1>');
  expect(html).toContain('I write notes on the Analytical Engine.');
  const links = anchors(html);
  expect(links.map(({ href, text }) => [href, text])).toEqual([
    ['https://github.com/ada', 'GitHub'],
    ['https://ada.example/notes', 'ada.example'],
  ]);
  for (const link of links) {
    expect(link.rel.split(' ')).toEqual(expect.arrayContaining(['nofollow', 'noopener']));
  }
  // The settings page shows the saved values to edit.
  const settings = await (await browser.get('/settings/profile')).text();
  expect(settings).toContain('value="Ada Lovelace"');
  expect(settings).toContain('>I write notes on the Analytical Engine.</textarea>');
  expect(settings).toContain('value="https://github.com/ada"');
});

test('markup in a name or bio is shown as text, never run', async () => {
  const user = await createTestUser();
  const browser = await logIn(app.url, user);
  const response = await browser.post('/settings/profile', { displayName: '<img src=x onerror=alert(1)>', bio: '<script>alert(1)</script>' });
  expect(response.status).toBe(200);
  const html = await (await new Browserish(app.url).get(`/@${user.handle}`)).text();
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(html).not.toContain('<script>alert(1)');
  expect(html).not.toContain('<img src=x');
});

test('a maker can clear their bio and links', async () => {
  const user = await createTestUser();
  const browser = await logIn(app.url, user);
  await browser.post('/settings/profile', { displayName: user.displayName, bio: 'Something to remove', 'links[0].url': 'https://x.example' });
  expect((await profileRow(user.id)).bio).toBe('Something to remove');
  const response = await browser.post('/settings/profile', { displayName: user.displayName, bio: '', 'links[0].label': '', 'links[0].url': '' });
  expect(response.status).toBe(200);
  const row = await profileRow(user.id);
  expect(row.bio).toBe('');
  expect(row.links).toEqual([]);
  const html = await (await new Browserish(app.url).get(`/@${user.handle}`)).text();
  expect(html).toContain('No bio yet.');
  expect(anchors(html)).toEqual([]);
});

test('a javascript: or ftp: link is refused with 400 next to the field, and nothing changes', async () => {
  const user = await createTestUser();
  const browser = await logIn(app.url, user);
  const before = await profileRow(user.id);
  for (const url of ['javascript:alert(1)', 'ftp://x', 'data:text/html,<b>x</b>', 'not a link']) {
    const response = await browser.post('/settings/profile', { displayName: 'Changed', bio: 'Changed', 'links[0].label': 'Mine', 'links[0].url': url });
    expect(response.status, url).toBe(400);
    const html = await response.text();
    const messages = fieldMessages(html, 'links[0].url');
    expect(messages.length, url).toBeGreaterThan(0);
    expect(messages, url).toContain(url === 'not a link' ? 'Enter a full link starting with https://' : 'Only http:// and https:// links are allowed');
    expect(html, url).not.toContain('Saved.');
    expect(await profileRow(user.id), url).toEqual(before);
  }
});

test('a bio over 2000 characters is refused with 400 next to the bio, and nothing changes', async () => {
  const user = await createTestUser();
  const browser = await logIn(app.url, user);
  const before = await profileRow(user.id);
  const response = await browser.post('/settings/profile', { displayName: 'Changed', bio: 'x'.repeat(2001) });
  expect(response.status).toBe(400);
  const html = await response.text();
  expect(fieldMessages(html, 'bio')).toEqual(['A bio has at most 2000 characters']);
  expect(fieldMessages(html, 'displayName')).toEqual([]);
  expect(await profileRow(user.id)).toEqual(before);
});

test('an empty display name or more than five links is refused and nothing changes', async () => {
  const user = await createTestUser();
  const browser = await logIn(app.url, user);
  const before = await profileRow(user.id);
  const noName = await browser.post('/settings/profile', { displayName: '  ', bio: 'Changed' });
  expect(noName.status).toBe(400);
  expect(fieldMessages(await noName.text(), 'displayName')).toEqual(['Enter your name']);
  const sixLinks = Object.fromEntries(Array.from({ length: 6 }, (_, index) => [`links[${index}].url`, `https://x.example/${index}`]));
  const tooMany = await browser.post('/settings/profile', { displayName: 'Changed', ...sixLinks });
  expect(tooMany.status).toBe(400);
  expect(await tooMany.text()).toMatch(/<div class="form-errors" id="[^"]*-links-error" role="alert"><p>At most 5 links<\/p><\/div>/);
  expect(await profileRow(user.id)).toEqual(before);
});

test('profile settings need a login: visitors are sent to log in and their posts change nothing', async () => {
  const user = await createTestUser();
  const before = await profileRow(user.id);
  const visitor = new Browserish(app.url);
  const page = await visitor.get('/settings/profile');
  expect(page.status).toBe(302);
  expect(page.headers.get('location')).toBe('/login?redirectTo=%2Fsettings%2Fprofile');
  const data = await visitor.get('/settings/profile.data');
  expect(await data.text()).not.toContain(user.displayName);
  const post = await visitor.post('/settings/profile', { displayName: 'Hijacked' });
  expect(post.status).toBe(302);
  expect(post.headers.get('location')).toBe('/login?redirectTo=%2Fsettings%2Fprofile');
  expect(await profileRow(user.id)).toEqual(before);
});

test('one maker cannot change another maker\'s profile: the form only ever updates the signed-in user', async () => {
  const victim = await createTestUser();
  const attacker = await createTestUser();
  const victimBefore = await profileRow(victim.id);
  const browser = await logIn(app.url, attacker);
  // Naming the other account in the form is refused outright.
  const extras: Record<string, string>[] = [{ handle: victim.handle }, { userId: victim.id }, { id: victim.id }, { email: victim.email }];
  for (const extra of extras) {
    const response = await browser.post('/settings/profile', { displayName: 'Owned', bio: 'Owned', ...extra });
    expect(response.status, Object.keys(extra)[0]).toBe(400);
  }
  expect(await profileRow(victim.id)).toEqual(victimBefore);
  // A plain submission changes the attacker's own profile only.
  const own = await browser.post('/settings/profile', { displayName: 'Owned', bio: 'Owned' });
  expect(own.status).toBe(200);
  expect(await profileRow(victim.id)).toEqual(victimBefore);
  const attackerRow = await profileRow(attacker.id);
  expect([attackerRow.display_name, attackerRow.bio]).toEqual(['Owned', 'Owned']);
  // Even a query string naming the victim's page makes no difference.
  const viaQuery = await browser.post(`/settings/profile?handle=${victim.handle}`, { displayName: 'Owned again' });
  expect(viaQuery.status).toBe(200);
  expect(await profileRow(victim.id)).toEqual(victimBefore);
});

test('the owner sees an edit link on their page; others do not', async () => {
  const user = await createTestUser();
  const owner = await logIn(app.url, user);
  expect(await (await owner.get(`/@${user.handle}`)).text()).toContain('Edit profile');
  const other = await logIn(app.url, await createTestUser());
  expect(await (await other.get(`/@${user.handle}`)).text()).not.toContain('Edit profile');
  expect(await (await new Browserish(app.url).get(`/@${user.handle}`)).text()).not.toContain('Edit profile');
});

test('handles in profile links are case-insensitive: /@Handle shows the same maker', async () => {
  const user = await createTestUser();
  const response = await new Browserish(app.url).get(`/@${user.handle.toUpperCase()}`);
  expect(response.status).toBe(200);
  expect(await response.text()).toContain(`@${user.handle}`);
});
