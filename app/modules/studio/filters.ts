import * as v from 'valibot';
import { PATRON_STATUSES } from './metrics.ts';

export const PATRONS_PER_PAGE = 50;

/**
 * The patrons list's GET form (and the CSV link that carries the same query). An empty
 * value means "any", as the form's first option sends it. Keys the form does not send are
 * ignored rather than refused: a shared link with a tracking parameter should still open.
 */
export const PatronFiltersSchema = v.object({
  status: v.optional(v.picklist(PATRON_STATUSES, 'Choose a status from the list')),
  tier: v.optional(v.pipe(v.string(), v.uuid('Choose a tier from the list'))),
  page: v.optional(v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,5}$/, 'Pages are numbered from 1'), v.transform(Number)), '1'),
});

export type PatronFilters = v.InferOutput<typeof PatronFiltersSchema>;

export function parsePatronFilters(searchParams: URLSearchParams): { success: true; filters: PatronFilters } | { success: false; message: string } {
  const input: Record<string, string> = {};
  for (const key of ['status', 'tier', 'page'] as const) {
    const value = searchParams.get(key)?.trim();
    if (value) input[key] = value;
  }
  const result = v.safeParse(PatronFiltersSchema, input);
  if (result.success) return { success: true, filters: result.output };
  return { success: false, message: result.issues.map((issue) => issue.message).join('; ') };
}

/** The query string for a filter state ("" when it is the default), for links that keep the filters. */
export function patronFiltersQuery(filters: { status?: string | undefined; tier?: string | undefined; page?: number | undefined }): string {
  const params = new URLSearchParams();
  if (filters.status) params.set('status', filters.status);
  if (filters.tier) params.set('tier', filters.tier);
  if (filters.page && filters.page > 1) params.set('page', String(filters.page));
  const query = params.toString();
  return query ? `?${query}` : '';
}
