import { parseWithValibot } from '@conform-to/valibot';
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { db } from '#app/core/db.server.ts';
import { notFound } from '#app/core/http.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { getProjectForMaker } from '#app/modules/projects/projects.server.ts';
import { tierSchema } from '#app/modules/tiers/schemas.ts';
import { TierForm } from '#app/modules/tiers/tier-form.tsx';
import { createTier } from '#app/modules/tiers/tiers.server.ts';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `New tier · ${data.project.name} · Makerfund` : 'Studio · Makerfund' }];

const NOT_YOURS = 'There is no project of yours at this address.';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const project = (await getProjectForMaker(db, { projectId: params.projectId ?? '', makerId: user.id })) ?? notFound(NOT_YOURS);
  return { project: { id: project.id, name: project.name, currency: project.currency } };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const ref = { projectId: params.projectId ?? '', makerId: user.id };
  // The currency decides how amounts parse, so the project is read before the form.
  const project = (await getProjectForMaker(db, ref)) ?? notFound(NOT_YOURS);
  const submission = parseWithValibot(await request.formData(), { schema: tierSchema(project.currency) });
  if (submission.status !== 'success') return data(submission.reply(), { status: 400 });
  const tier = (await createTier(db, ref, submission.value)) ?? notFound(NOT_YOURS);
  if ('formError' in tier) return data(submission.reply({ formErrors: [tier.formError] }), { status: tier.status });
  throw redirect(`/studio/projects/${project.id}/edit?tier=${tier.id}`);
}

export default function NewTier() {
  const { project } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  return (
    <div className="card stack form-page">
      <p className="muted">
        <Link to={`/studio/projects/${project.id}/edit`}>← {project.name}</Link>
      </p>
      <h1>New tier</h1>
      <p className="muted">A tier is a monthly pledge patrons can choose on your project page. Prices are in {project.currency.toUpperCase()}.</p>
      <TierForm currency={project.currency} lastResult={lastResult} submitLabel="Create tier" submittingLabel="Creating…" cancelTo={`/studio/projects/${project.id}/edit`} />
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
