import { parseWithValibot } from '@conform-to/valibot';
import * as v from 'valibot';
import { expect, test } from 'vitest';
import { ArchiveTierSchema, MoveTierSchema, tierSchema } from './schemas.ts';

const usd = tierSchema('usd');
const valid = { name: 'Supporter', monthlyAmount: '5', yearlyAmount: '50', description: 'Thanks!', benefits: 'Name in README\nEarly builds', patronLimit: '10' };

function messages(schema: v.GenericSchema, input: unknown): Record<string, string[]> {
  const result = v.safeParse(schema, input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return v.flatten(result.issues).nested as Record<string, string[]>;
}

test('a tier parses to minor units, a benefits list and a number limit', () => {
  expect(v.parse(usd, valid)).toEqual({
    name: 'Supporter',
    monthlyAmount: 500,
    yearlyAmount: 5000,
    description: 'Thanks!',
    benefits: ['Name in README', 'Early builds'],
    patronLimit: 10,
  });
  expect(v.parse(usd, { name: 'Basic', monthlyAmount: '4.50' })).toEqual({ name: 'Basic', monthlyAmount: 450, yearlyAmount: null, description: '', benefits: [], patronLimit: null });
});

test('amounts follow the project currency: "4.50" is 450 cents, "500" is 500 yen', () => {
  expect(v.parse(usd, { ...valid, monthlyAmount: '4.50', yearlyAmount: undefined }).monthlyAmount).toBe(450);
  expect(v.parse(tierSchema('jpy'), { name: 'Basic', monthlyAmount: '500' }).monthlyAmount).toBe(500);
  expect(messages(tierSchema('jpy'), { name: 'Basic', monthlyAmount: '4.50' }).monthlyAmount).toEqual(['JPY has no smaller unit: enter a whole amount, like 500']);
  expect(messages(usd, { ...valid, monthlyAmount: '4.555' }).monthlyAmount).toEqual(['Use at most 2 digits after the dot']);
  expect(messages(usd, { ...valid, monthlyAmount: '1e3' }).monthlyAmount).toEqual(['Enter an amount in digits, like 4.50']);
});

test('zero, negative, too small, absurd and non-numeric amounts are refused with a message', () => {
  const cases: [string, string][] = [
    ['0', 'Stripe cannot charge less than $0.50'],
    ['0.00', 'Stripe cannot charge less than $0.50'],
    ['0.49', 'Stripe cannot charge less than $0.50'],
    ['-5', 'Enter an amount in digits, like 4.50'],
    ['5,00', 'Enter an amount in digits, like 4.50'],
    ['$5', 'Enter an amount in digits, like 4.50'],
    ['NaN', 'Enter an amount in digits, like 4.50'],
    ['1000000.01', 'A monthly price is at most $1,000,000'],
    ['99999999999999', 'That amount is far too large'],
  ];
  for (const [monthlyAmount, message] of cases) {
    expect(messages(usd, { ...valid, monthlyAmount, yearlyAmount: undefined }).monthlyAmount, monthlyAmount).toEqual([message]);
  }
  expect(v.parse(usd, { ...valid, monthlyAmount: '1000000', yearlyAmount: undefined }).monthlyAmount).toBe(100_000_000);
  expect(v.parse(usd, { ...valid, monthlyAmount: '0.50', yearlyAmount: undefined }).monthlyAmount).toBe(50);
  expect(messages(usd, { ...valid, monthlyAmount: '' }).monthlyAmount).toEqual(['Enter the monthly price']);
  expect(messages(tierSchema('jpy'), { name: 'x', monthlyAmount: '49' }).monthlyAmount).toEqual(['Stripe cannot charge less than ¥50']);
});

test('a yearly price must be a discount on twelve monthly payments', () => {
  expect(messages(usd, { ...valid, monthlyAmount: '5', yearlyAmount: '60' }).yearlyAmount).toEqual([
    'A yearly price is a discount: make it less than 12 monthly payments ($60)',
  ]);
  expect(messages(usd, { ...valid, monthlyAmount: '5', yearlyAmount: '61' }).yearlyAmount?.length).toBe(1);
  expect(v.parse(usd, { ...valid, monthlyAmount: '5', yearlyAmount: '59.99' }).yearlyAmount).toBe(5999);
  expect(messages(usd, { ...valid, yearlyAmount: '4.555' }).yearlyAmount).toEqual(['Use at most 2 digits after the dot']);
  expect(messages(usd, { ...valid, yearlyAmount: '0' }).yearlyAmount).toEqual(['Stripe cannot charge less than $0.50']);
});

test('text limits: name 60, description 2000, up to 10 benefits of 120 characters', () => {
  expect(messages(usd, { ...valid, name: 'x'.repeat(61) }).name).toEqual(['A tier name has at most 60 characters']);
  expect(messages(usd, { ...valid, name: ' ' }).name).toEqual(['Name the tier']);
  expect(messages(usd, { ...valid, description: 'x'.repeat(2001) }).description).toEqual(['A description has at most 2000 characters']);
  expect(messages(usd, { ...valid, benefits: Array.from({ length: 11 }, (_, i) => `b${i}`).join('\n') }).benefits).toEqual(['At most 10 benefits, one per line']);
  expect(messages(usd, { ...valid, benefits: `ok\n${'x'.repeat(121)}` }).benefits).toEqual(['Each benefit has at most 120 characters']);
  // Blank lines and list markers are not benefits of their own.
  expect(v.parse(usd, { ...valid, benefits: '- one\r\n\n  * two  \n\n• three\n' }).benefits).toEqual(['one', 'two', 'three']);
  expect(v.parse(usd, { ...valid, benefits: Array.from({ length: 10 }, () => 'x'.repeat(120)).join('\n') }).benefits).toHaveLength(10);
});

test('a patron limit is a whole number from 1 to 100,000', () => {
  for (const patronLimit of ['0', '-1', '1.5', 'ten', '100001', '1e3']) {
    expect(messages(usd, { ...valid, patronLimit }).patronLimit?.length, patronLimit).toBe(1);
  }
  expect(v.parse(usd, { ...valid, patronLimit: '1' }).patronLimit).toBe(1);
  expect(v.parse(usd, { ...valid, patronLimit: '100000' }).patronLimit).toBe(100_000);
});

test('unknown keys are refused: the form never carries currency, ids or a price id', () => {
  for (const key of ['currency', 'projectId', 'tierId', 'stripePriceId', 'amount', 'position', 'archived']) {
    const result = v.safeParse(usd, { ...valid, [key]: 'x' });
    expect(result.success, key).toBe(false);
    expect(result.issues?.map((issue) => v.getDotPath(issue)), key).toContain(key);
  }
});

test('move and archive buttons name a tier by uuid and nothing else', () => {
  const tierId = '6f1c1a52-3c3e-4f7a-9f61-0f1d1c7e9a11';
  expect(v.parse(MoveTierSchema, { intent: 'move', tierId, direction: 'up' })).toEqual({ intent: 'move', tierId, direction: 'up' });
  expect(v.safeParse(MoveTierSchema, { intent: 'move', tierId, direction: 'sideways' }).success).toBe(false);
  expect(v.safeParse(MoveTierSchema, { intent: 'move', tierId: '1 or 1=1', direction: 'up' }).success).toBe(false);
  expect(v.safeParse(ArchiveTierSchema, { intent: 'archive', tierId, projectId: tierId }).success).toBe(false);
  expect(v.parse(ArchiveTierSchema, { intent: 'unarchive', tierId }).intent).toBe('unarchive');
});

test('through the form, empty optional fields mean "none"', () => {
  const form = new FormData();
  for (const [key, value] of Object.entries({ name: 'Basic', monthlyAmount: '3', yearlyAmount: '', description: '', benefits: '', patronLimit: '' })) form.append(key, value);
  const submission = parseWithValibot(form, { schema: usd });
  expect(submission.status === 'success' ? submission.value : submission.error).toEqual({ name: 'Basic', monthlyAmount: 300, yearlyAmount: null, description: '', benefits: [], patronLimit: null });
});
