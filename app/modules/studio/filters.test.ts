import { expect, test } from 'vitest';
import { parsePatronFilters, patronFiltersQuery } from './filters.ts';

const parse = (query: string) => parsePatronFilters(new URLSearchParams(query));
const TIER = '3f2b8c1e-4a5d-4e6f-9a0b-1c2d3e4f5a6b';

test('no query, or the form\'s empty "any" options, means every patron on page 1', () => {
  expect(parse('')).toEqual({ success: true, filters: { page: 1 } });
  expect(parse('status=&tier=&page=')).toEqual({ success: true, filters: { page: 1 } });
  expect(parse('utm_source=newsletter')).toEqual({ success: true, filters: { page: 1 } });
});

test('status, tier and page are read and typed', () => {
  expect(parse(`status=cancelling&tier=${TIER}&page=3`)).toEqual({ success: true, filters: { status: 'cancelling', tier: TIER, page: 3 } });
  expect(parse('status=past_due')).toEqual({ success: true, filters: { status: 'past_due', page: 1 } });
});

test('values the form cannot send are refused with a message', () => {
  expect(parse('status=pending')).toMatchObject({ success: false, message: 'Choose a status from the list' });
  expect(parse('tier=1; drop table')).toMatchObject({ success: false, message: 'Choose a tier from the list' });
  for (const page of ['0', '-1', '1.5', 'x', '99999999']) expect(parse(`page=${page}`)).toMatchObject({ success: false, message: 'Pages are numbered from 1' });
});

test('links keep the filters and leave out defaults', () => {
  expect(patronFiltersQuery({})).toBe('');
  expect(patronFiltersQuery({ status: '', tier: '', page: 1 })).toBe('');
  expect(patronFiltersQuery({ status: 'ended', tier: TIER, page: 2 })).toBe(`?status=ended&tier=${TIER}&page=2`);
});
