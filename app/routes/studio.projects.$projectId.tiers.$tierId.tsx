import { parseWithValibot } from '@conform-to/valibot';
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { db } from '#app/core/db.server.ts';
import { notFound } from '#app/core/http.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { tierSchema } from '#app/modules/tiers/schemas.ts';
import { TierForm } from '#app/modules/tiers/tier-form.tsx';
import { getTierForMaker, updateTier } from '#app/modules/tiers/tiers.server.ts';
import { minorToInputValue } from '#app/utils/money.ts';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.tier.name} · ${data.project.name} · Makerfund` : 'Studio · Makerfund' }];

const NOT_YOURS = 'There is no such tier in a project of yours.';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const found = (await getTierForMaker(db, { projectId: params.projectId ?? '', tierId: params.tierId ?? '', makerId: user.id })) ?? notFound(NOT_YOURS);
  const { tier, project } = found;
  return {
    project: { id: project.id, name: project.name, currency: project.currency },
    tier: {
      id: tier.id,
      name: tier.name,
      archived: tier.archivedAt !== null,
      values: {
        name: tier.name,
        monthlyAmount: minorToInputValue(tier.monthlyAmount, project.currency),
        yearlyAmount: tier.yearlyAmount === null ? '' : minorToInputValue(tier.yearlyAmount, project.currency),
        description: tier.description,
        benefits: tier.benefits.join('\n'),
        patronLimit: tier.patronLimit === null ? '' : String(tier.patronLimit),
      },
    },
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const ref = { projectId: params.projectId ?? '', tierId: params.tierId ?? '', makerId: user.id };
  const found = (await getTierForMaker(db, ref)) ?? notFound(NOT_YOURS);
  const submission = parseWithValibot(await request.formData(), { schema: tierSchema(found.project.currency) });
  if (submission.status !== 'success') return data(submission.reply(), { status: 400 });
  const result = (await updateTier(db, ref, submission.value)) ?? notFound(NOT_YOURS);
  if ('formError' in result) return data(submission.reply({ formErrors: [result.formError] }), { status: result.status });
  throw redirect(`/studio/projects/${found.project.id}/edit?tier=${result.id}`);
}

export default function EditTier() {
  const { project, tier } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  return (
    <div className="card stack form-page">
      <p className="muted">
        <Link to={`/studio/projects/${project.id}/edit`}>← {project.name}</Link>
      </p>
      <h1>
        {tier.name} {tier.archived ? <span className="badge">Archived</span> : null}
      </h1>
      <TierForm
        currency={project.currency}
        defaultValue={tier.values}
        lastResult={lastResult}
        submitLabel="Save tier"
        submittingLabel="Saving…"
        cancelTo={`/studio/projects/${project.id}/edit`}
      >
        <p className="field-hint">
          A new price applies to new patrons. Patrons already on this tier keep paying what they signed up for.
        </p>
      </TierForm>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
