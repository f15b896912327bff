/**
 * A small subset of Stripe's Search Query Language: clauses `field:'value'`,
 * `metadata['key']:'value'`, `field~'substr'`, `amount>100` (>, <, >=, <=), negation with `-`,
 * joined by AND (or OR, not mixed). Pagination by `page` (an opaque offset).
 */
import { invalidRequest } from './errors.ts';
import { present, type ApiRequest } from './api.ts';
import { S, validate } from './params.ts';
import type { Kind } from './types.ts';

export const SEARCH_PARAMS = { query: S.req(S.str()), limit: S.int({ min: 1, max: 100 }), page: S.str() };

type Clause = { negate: boolean; field: string; key?: string; op: string; value: string };

function parseQuery(query: string): { clauses: Clause[]; mode: 'and' | 'or' } {
  const hasOr = /\s+OR\s+/.test(query);
  const hasAnd = /\s+AND\s+/.test(query);
  if (hasOr && hasAnd) throw invalidRequest('Search queries cannot mix AND and OR.', 'query');
  const parts = query.split(hasOr ? /\s+OR\s+/ : /\s+AND\s+/);
  const clauses = parts.map((raw) => {
    const m = /^(-)?([a-z_.]+)(?:\[['"]([^'"]+)['"]\])?(:|~|>=|<=|>|<)(?:'([^']*)'|"([^"]*)"|(\S+))$/.exec(raw.trim());
    if (!m) throw invalidRequest(`Invalid search query: ${raw}`, 'query');
    return { negate: m[1] === '-', field: m[2] ?? '', key: m[3], op: m[4] ?? ':', value: m[5] ?? m[6] ?? m[7] ?? '' };
  });
  return { clauses, mode: hasOr ? 'or' : 'and' };
}

function fieldValue(obj: Record<string, unknown>, c: Clause): unknown {
  if (c.field === 'metadata') return (obj['metadata'] as Record<string, string> | undefined)?.[c.key ?? ''];
  let v: unknown = obj;
  for (const part of c.field.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

function test(obj: Record<string, unknown>, c: Clause): boolean {
  const v = fieldValue(obj, c);
  let ok: boolean;
  if (c.op === ':') ok = v !== undefined && v !== null && String(v).toLowerCase() === c.value.toLowerCase();
  else if (c.op === '~') ok = typeof v === 'string' && v.toLowerCase().includes(c.value.toLowerCase());
  else {
    const n = Number(v);
    const x = Number(c.value);
    ok = c.op === '>' ? n > x : c.op === '<' ? n < x : c.op === '>=' ? n >= x : n <= x;
  }
  return c.negate ? !ok : ok;
}

export function searchResponse(req: ApiRequest, kind: Kind, url: string): unknown {
  const p = validate<{ query: string; limit?: number; page?: string }>(req.body, SEARCH_PARAMS);
  const { clauses, mode } = parseQuery(p.query);
  const all = req.engine.store.list(kind, req.account, (o) => {
    const obj = o as unknown as Record<string, unknown>;
    return mode === 'and' ? clauses.every((c) => test(obj, c)) : clauses.some((c) => test(obj, c));
  });
  const offset = p.page ? Number(p.page) || 0 : 0;
  const limit = p.limit ?? 10;
  const data = all.slice(offset, offset + limit).map((o) => present(req.engine, o));
  const hasMore = all.length > offset + limit;
  return { object: 'search_result', data, has_more: hasMore, next_page: hasMore ? String(offset + limit) : null, url };
}
