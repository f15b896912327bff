import { describe, expect, test } from 'vitest';
import { encodeForm, parseForm, splitKey } from './form.ts';
import { validate, S, mergeMetadata } from './params.ts';
import { StripeApiError } from './errors.ts';

describe('form parsing (Stripe bracket encoding)', () => {
  test('nested objects, indexed and empty-bracket arrays', () => {
    const body = 'items[0][price]=price_1&items[0][quantity]=2&items[1][price]=price_2&metadata[pledge_id]=p1&expand[]=a&expand[]=b.c';
    expect(parseForm(body)).toEqual({
      items: [{ price: 'price_1', quantity: '2' }, { price: 'price_2' }],
      metadata: { pledge_id: 'p1' },
      expand: ['a', 'b.c'],
    });
  });
  test('decodes percent-encoding, + and encoded brackets', () => {
    expect(parseForm('description=a+b%26c&metadata%5Bk%5D=v%3D1')).toEqual({ description: 'a b&c', metadata: { k: 'v=1' } });
  });
  test('round-trips what the SDK encodes', () => {
    const data = { customer: 'cus_1', items: [{ price: 'p', metadata: { a: '1' } }], flag: true, empty: null };
    expect(parseForm(encodeForm(data))).toEqual({ customer: 'cus_1', items: [{ price: 'p', metadata: { a: '1' } }], flag: 'true', empty: '' });
  });
  test('splitKey keeps odd keys whole', () => {
    expect(splitKey('a[b][0][]')).toEqual(['a', 'b', '0', '']);
    expect(splitKey('weird]key')).toEqual(['weird]key']);
  });
});

describe('params', () => {
  const fields = { amount: S.req(S.int({ min: 0 })), confirm: S.bool(), metadata: S.meta(), card: S.obj({ number: S.str() }) };
  const err = (fn: () => unknown): StripeApiError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof StripeApiError) return e;
    }
    throw new Error('expected a StripeApiError');
  };
  test('coerces types', () => {
    expect(validate(parseForm('amount=100&confirm=true&metadata[a]=1&expand[0]=x'), fields)).toEqual({ amount: 100, confirm: true, metadata: { a: '1' }, expand: ['x'] });
  });
  test('Stripe messages and params', () => {
    expect(err(() => validate(parseForm('confirm=true'), fields)).body).toMatchObject({ code: 'parameter_missing', param: 'amount', message: 'Missing required param: amount.' });
    expect(err(() => validate(parseForm('amount=1&colour=red'), fields)).body).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
    expect(err(() => validate(parseForm('amount=1&card[cvc]=1'), fields)).body).toMatchObject({ code: 'parameter_unknown', param: 'card[cvc]' });
    expect(err(() => validate(parseForm('amount=abc'), fields)).body).toMatchObject({ param: 'amount', message: 'Invalid integer: abc' });
    expect(err(() => validate(parseForm('amount=-5'), fields)).body).toMatchObject({ param: 'amount' });
  });
  test('metadata: an empty value unsets a key, an empty object clears all', () => {
    expect(mergeMetadata({ a: '1', b: '2' }, { a: '', c: '3' })).toEqual({ b: '2', c: '3' });
    expect(mergeMetadata({ a: '1' }, '')).toEqual({});
  });
});
