import { parseWithValibot } from '@conform-to/valibot';
import * as v from 'valibot';
import { expect, test } from 'vitest';
import { EditProjectSchema, NewProjectSchema } from './schemas.ts';

const valid = { name: 'Tiny HTTP', slug: 'tiny-http', pitch: 'A small, fast HTTP server.', description: '# Hello', repositoryUrl: 'https://github.com/ada/tiny-http', currency: 'eur' };

function messages(schema: v.GenericSchema, input: unknown): Record<string, string[]> {
  const result = v.safeParse(schema, input);
  if (result.success) throw new Error('expected the input to be refused');
  return v.flatten(result.issues).nested as Record<string, string[]>;
}

test('a valid project parses, trimming text and lowercasing the slug', () => {
  expect(v.parse(NewProjectSchema, { ...valid, name: '  Tiny HTTP ', slug: ' Tiny-HTTP ' })).toEqual({ ...valid, slug: 'tiny-http' });
  expect(v.parse(NewProjectSchema, { name: 'x', slug: 'x', pitch: 'y', currency: 'jpy' })).toEqual({ name: 'x', slug: 'x', pitch: 'y', currency: 'jpy', description: '', repositoryUrl: null });
});

test('slugs: lowercase letters, digits and dashes, 1 to 60 characters, no dash at either end, not reserved', () => {
  for (const slug of ['a', 'a1', 'tiny-http-2', 'x'.repeat(60)]) expect(v.safeParse(NewProjectSchema, { ...valid, slug }).success, slug).toBe(true);
  for (const slug of ['-a', 'a-', 'a_b', 'a.b', 'a b', 'ä', 'x'.repeat(61), '../x', 'a/b', '%2e']) {
    expect(messages(NewProjectSchema, { ...valid, slug }).slug?.length, slug).toBeGreaterThan(0);
  }
  expect(messages(NewProjectSchema, { ...valid, slug: 'a_b' }).slug).toEqual(['Use lowercase letters, digits and dashes, not at the start or end']);
  expect(messages(NewProjectSchema, { ...valid, slug: 'pledge' }).slug).toEqual(['That address is reserved, please pick another']);
});

test('text limits: pitch 140, description 20,000, name 80', () => {
  expect(messages(NewProjectSchema, { ...valid, pitch: 'x'.repeat(141) }).pitch).toEqual(['A pitch has at most 140 characters']);
  expect(v.safeParse(NewProjectSchema, { ...valid, pitch: 'x'.repeat(140) }).success).toBe(true);
  expect(messages(NewProjectSchema, { ...valid, description: 'x'.repeat(20_001) }).description).toEqual(['A description has at most 20,000 characters']);
  expect(v.safeParse(NewProjectSchema, { ...valid, description: 'x'.repeat(20_000) }).success).toBe(true);
  expect(messages(NewProjectSchema, { ...valid, name: 'x'.repeat(81) }).name).toEqual(['A name has at most 80 characters']);
  expect(messages(NewProjectSchema, { ...valid, name: '   ' }).name).toEqual(['Name your project']);
  expect(messages(NewProjectSchema, { ...valid, pitch: '' }).pitch).toEqual(['Say in one line what the project is']);
});

test('the repository link must be http(s)', () => {
  for (const repositoryUrl of ['javascript:alert(1)', 'data:text/html,x', 'ftp://x.example', 'git@github.com:ada/x.git', 'not a url']) {
    expect(messages(NewProjectSchema, { ...valid, repositoryUrl }).repositoryUrl?.length, repositoryUrl).toBeGreaterThan(0);
  }
  expect(v.parse(NewProjectSchema, { ...valid, repositoryUrl: 'http://code.example/x' }).repositoryUrl).toBe('http://code.example/x');
});

test('the currency comes from the supported list, exactly as Stripe spells it', () => {
  for (const currency of ['xxx', 'USD', 'btc', '', 'us', 'usdd']) {
    expect(messages(NewProjectSchema, { ...valid, currency }).currency, currency).toEqual(['Choose one of the listed currencies']);
  }
  for (const currency of ['usd', 'eur', 'gbp', 'jpy']) expect(v.safeParse(NewProjectSchema, { ...valid, currency }).success, currency).toBe(true);
});

test('unknown keys are refused, not silently dropped', () => {
  for (const key of ['makerId', 'maker_id', 'id', 'stripeProductId', 'role']) {
    const result = v.safeParse(NewProjectSchema, { ...valid, [key]: 'x' });
    expect(result.success, key).toBe(false);
    expect(result.issues?.map((issue) => v.getDotPath(issue)), key).toContain(key);
  }
});

test('editing cannot change the currency and needs the save intent', () => {
  const { currency: _currency, ...edit } = valid;
  expect(v.parse(EditProjectSchema, { ...edit, intent: 'save' })).toEqual({ ...edit });
  expect(v.safeParse(EditProjectSchema, { ...edit, intent: 'save', currency: 'usd' }).success).toBe(false);
  expect(v.safeParse(EditProjectSchema, { ...edit, intent: 'archive' }).success).toBe(false);
});

test('through the form, emptied optional fields save as empty rather than failing', () => {
  const form = new FormData();
  for (const [key, value] of Object.entries({ ...valid, description: '', repositoryUrl: '' })) form.append(key, value);
  const submission = parseWithValibot(form, { schema: NewProjectSchema });
  expect(submission.status === 'success' ? submission.value : submission.error).toEqual({ ...valid, description: '', repositoryUrl: null });
});
