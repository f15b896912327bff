import type { LoaderFunctionArgs } from '@remix-run/node';
import { db } from '#app/core/db.server.ts';
import { badRequest, notFound } from '#app/core/http.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { findStudioProject, patronsCsv } from '#app/modules/studio/dashboard.server.ts';
import { parsePatronFilters } from '#app/modules/studio/filters.ts';

/** The project's patrons as a CSV download, with the dashboard's status and tier filters. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const project = (await findStudioProject(db, { projectId: params.projectId ?? '', makerId: user.id })) ?? notFound('There is no project of yours at this address.');
  const parsed = parsePatronFilters(new URL(request.url).searchParams);
  if (!parsed.success) badRequest(`Those filters did not make sense: ${parsed.message}.`);
  const csv = await patronsCsv(db, project, parsed.filters);
  return new Response(csv.body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8; header=present',
      'Content-Disposition': `attachment; filename="${csv.filename}"`,
      // Names of real people: never kept by a shared cache or the browser's.
      'Cache-Control': 'private, no-store',
    },
  });
}
