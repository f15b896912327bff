import { parseWithValibot } from '@conform-to/valibot';
import * as v from 'valibot';
import { expect, test } from 'vitest';
import { HandleSchema, LoginSchema, MAX_LINKS, ProfileSchema, SignupSchema } from './schemas.ts';

const validSignup = { email: 'ada@example.test', displayName: 'Ada', handle: 'ada', password: 'analytical engine notes' };

/** Messages per field, as the form shows them next to each input. */
function fieldErrors(schema: v.GenericSchema, input: unknown): Record<string, string[]> {
  const result = v.safeParse(schema, input);
  if (result.success) throw new Error('expected the input to be refused');
  const flat = v.flatten(result.issues);
  return { ...(flat.nested as Record<string, string[]>), ...(flat.root ? { '': flat.root } : {}) };
}

test('a valid signup parses, trimming the email and lowercasing the handle', () => {
  const result = v.parse(SignupSchema, { ...validSignup, email: '  ada@example.test ', handle: ' Ada-Lovelace ' });
  expect(result).toEqual({ email: 'ada@example.test', displayName: 'Ada', handle: 'ada-lovelace', password: 'analytical engine notes' });
});

test('handles are lowercased before the format and reserved checks', () => {
  expect(v.parse(HandleSchema, 'GraceHopper')).toBe('gracehopper');
  expect(v.safeParse(HandleSchema, 'ADMIN').success).toBe(false);
  expect(fieldErrors(SignupSchema, { ...validSignup, handle: 'Settings' }).handle).toEqual(['That handle is reserved, please pick another']);
});

test('reserved handles, which share the URL space with our pages, are refused', () => {
  for (const handle of ['admin', 'login', 'logout', 'signup', 'settings', 'dev', 'healthz', 'webhooks', 'api', 'makerfund']) {
    expect(fieldErrors(SignupSchema, { ...validSignup, handle }).handle, handle).toEqual(['That handle is reserved, please pick another']);
  }
});

test('malformed handles get the format message', () => {
  for (const handle of ['-ada', 'ada-', 'ada_l', 'ada.l', 'a d a', 'ädä', 'a'.repeat(39) + '-']) {
    expect(fieldErrors(SignupSchema, { ...validSignup, handle }).handle?.length, handle).toBeGreaterThan(0);
  }
  expect(fieldErrors(SignupSchema, { ...validSignup, handle: '-ada' }).handle).toEqual(['Use letters, digits and single dashes, not at the start or end']);
  expect(fieldErrors(SignupSchema, { ...validSignup, handle: 'a'.repeat(40) }).handle).toContain('A handle has at most 39 characters');
  expect(v.parse(HandleSchema, 'a'.repeat(39))).toBe('a'.repeat(39));
});

test('signup messages name what to fix', () => {
  expect(fieldErrors(SignupSchema, { ...validSignup, email: '' }).email?.[0]).toBe('Enter your email address');
  expect(fieldErrors(SignupSchema, { ...validSignup, email: 'ada@' }).email).toEqual(['Enter an email address like name@example.com']);
  expect(fieldErrors(SignupSchema, { ...validSignup, email: `${'a'.repeat(250)}@example.test` }).email).toContain('An email address has at most 254 characters');
  expect(fieldErrors(SignupSchema, { ...validSignup, displayName: '   ' }).displayName).toEqual(['Enter your name']);
  expect(fieldErrors(SignupSchema, { ...validSignup, displayName: 'x'.repeat(61) }).displayName).toEqual(['A name has at most 60 characters']);
  expect(fieldErrors(SignupSchema, { ...validSignup, password: 'short' }).password).toEqual(['Use at least 8 characters']);
  expect(fieldErrors(SignupSchema, { ...validSignup, password: 'x'.repeat(257) }).password).toContain('Use at most 256 characters');
  expect(fieldErrors(SignupSchema, { ...validSignup, password: 'Password123' }).password).toEqual(['This password is too common; pick something harder to guess']);
  expect(fieldErrors(SignupSchema, { ...validSignup, password: 'abababababab' }).password).toEqual(['This password is too easy to guess; pick something less repetitive']);
  expect(fieldErrors(SignupSchema, { ...validSignup, password: 'my ADA password' }).password).toEqual(['Your password must not contain your handle']);
});

test('long passwords up to 256 characters and no composition rules are accepted', () => {
  expect(v.safeParse(SignupSchema, { ...validSignup, password: 'all lower case words' }).success).toBe(true);
  expect(v.safeParse(SignupSchema, { ...validSignup, password: 'x1y2'.repeat(64) }).success).toBe(true);
});

test('unknown keys are refused, not silently dropped', () => {
  for (const key of ['role', 'id', 'isAdmin', 'status', 'amount']) {
    const result = v.safeParse(SignupSchema, { ...validSignup, [key]: 'x' });
    expect(result.success, key).toBe(false);
    expect(result.issues?.map((issue) => v.getDotPath(issue))).toContain(key);
  }
  expect(v.safeParse(LoginSchema, { email: 'ada@example.test', password: 'x', userId: '1' }).success).toBe(false);
  expect(v.safeParse(ProfileSchema, { displayName: 'Ada', handle: 'someone-else' }).success).toBe(false);
  expect(v.safeParse(ProfileSchema, { displayName: 'Ada', links: [{ url: 'https://a.example', owner: 'x' }] }).success).toBe(false);
});

test('login needs an email and a password and accepts an optional redirectTo', () => {
  expect(v.parse(LoginSchema, { email: ' ada@example.test ', password: 'pw', redirectTo: '/x' })).toEqual({ email: 'ada@example.test', password: 'pw', redirectTo: '/x' });
  expect(fieldErrors(LoginSchema, { email: 'ada@example.test', password: '' }).password).toEqual(['Enter your password']);
});

// conform turns empty form fields into undefined before the schema sees them.
test('a profile keeps only links with a URL and turns missing labels into null', () => {
  const result = v.parse(ProfileSchema, {
    displayName: ' Ada ',
    bio: '  Engines.  ',
    links: [{ label: 'Code', url: 'https://code.example/ada' }, {}, { url: 'http://ada.example' }],
  });
  expect(result).toEqual({
    displayName: 'Ada',
    bio: 'Engines.',
    links: [
      { label: 'Code', url: 'https://code.example/ada' },
      { label: null, url: 'http://ada.example' },
    ],
  });
  expect(v.parse(ProfileSchema, { displayName: 'Ada' })).toEqual({ displayName: 'Ada', bio: '', links: [] });
});

test('profile links must be http(s) and a labelled link needs a URL', () => {
  for (const url of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,hi', 'ftp://x', 'mailto:ada@example.test', 'not a url']) {
    const result = v.safeParse(ProfileSchema, { displayName: 'Ada', links: [{ url }] });
    expect(result.success, url).toBe(false);
  }
  const issues = v.safeParse(ProfileSchema, { displayName: 'Ada', links: [{ url: 'javascript:alert(1)' }] }).issues ?? [];
  expect(issues.map((issue) => [v.getDotPath(issue), issue.message])).toEqual([['links.0.url', 'Only http:// and https:// links are allowed']]);
  expect(v.safeParse(ProfileSchema, { displayName: 'Ada', links: [{ label: 'Site' }] }).issues?.[0]?.message).toBe('Every labelled link needs a URL');
  const tooMany = Array.from({ length: MAX_LINKS + 1 }, (_, index) => ({ url: `https://x.example/${index}` }));
  expect(v.safeParse(ProfileSchema, { displayName: 'Ada', links: tooMany }).issues?.[0]?.message).toBe(`At most ${MAX_LINKS} links`);
});

test('a bio over 2000 characters is refused with a message', () => {
  expect(fieldErrors(ProfileSchema, { displayName: 'Ada', bio: 'x'.repeat(2001) }).bio).toEqual(['A bio has at most 2000 characters']);
  expect(v.safeParse(ProfileSchema, { displayName: 'Ada', bio: 'x'.repeat(2000) }).success).toBe(true);
});

function formData(entries: Record<string, string>): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(entries)) data.append(key, value);
  return data;
}

// The forms parse through conform, which turns empty fields into undefined before the schema runs.
test('through the form, an emptied bio and blank link rows save as empty, not as an error', () => {
  const submission = parseWithValibot(formData({ displayName: 'Ada', bio: '', 'links[0].label': '', 'links[0].url': '' }), { schema: ProfileSchema });
  expect(submission.status).toBe('success');
  expect(submission.status === 'success' ? submission.value : null).toEqual({ displayName: 'Ada', bio: '', links: [] });
  const withoutBio = parseWithValibot(formData({ displayName: 'Ada' }), { schema: ProfileSchema });
  expect(withoutBio.status === 'success' ? withoutBio.value : withoutBio.error).toEqual({ displayName: 'Ada', bio: '', links: [] });
});

test('through the form, unknown fields and bad links are reported per field', () => {
  const submission = parseWithValibot(formData({ displayName: 'Ada', 'links[0].url': 'javascript:alert(1)', role: 'admin' }), { schema: ProfileSchema });
  if (submission.status !== 'error') throw new Error('expected the submission to be refused');
  expect(submission.error?.['links[0].url']).toEqual(['Only http:// and https:// links are allowed']);
  expect(Object.keys(submission.error ?? {})).toContain('role');
});
