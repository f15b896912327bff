import { getFormProps, useForm } from '@conform-to/react';
import { getValibotConstraint, parseWithValibot } from '@conform-to/valibot';
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { Field, FormErrors, TextareaField } from '#app/components/field.tsx';
import { Money } from '#app/components/money.tsx';
import { db } from '#app/core/db.server.ts';
import { badRequest, notFound } from '#app/core/http.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { getProjectForMaker, updateProject } from '#app/modules/projects/projects.server.ts';
import { DESCRIPTION_MAX, EditProjectSchema, PITCH_MAX } from '#app/modules/projects/schemas.ts';
import { slotsLabel } from '#app/modules/tiers/pricing.ts';
import { ArchiveTierSchema, MoveTierSchema } from '#app/modules/tiers/schemas.ts';
import { heldSlots } from '#app/modules/tiers/slots.server.ts';
import { listTiers, moveTier, setTierArchived } from '#app/modules/tiers/tiers.server.ts';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `Edit ${data.project.name} · Studio · Makerfund` : 'Studio · Makerfund' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const project = (await getProjectForMaker(db, { projectId: params.projectId ?? '', makerId: user.id })) ?? notFound('There is no project of yours at this address.');
  const tiers = await listTiers(db, project.id, { includeArchived: true });
  const held = await heldSlots(db, tiers.map((tier) => tier.id));
  return {
    handle: user.handle,
    project: {
      id: project.id,
      name: project.name,
      slug: project.slug,
      pitch: project.pitch,
      description: project.description_md,
      repositoryUrl: project.repository_url,
      currency: project.currency,
    },
    tiers: tiers.map((tier) => ({
      id: tier.id,
      name: tier.name,
      monthlyAmount: tier.monthlyAmount,
      yearlyAmount: tier.yearlyAmount,
      patronLimit: tier.patronLimit,
      held: held.get(tier.id) ?? 0,
      archived: tier.archivedAt !== null,
    })),
  };
}

/** One page, three kinds of form: the project itself, and move / archive buttons per tier. */
export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const ref = { projectId: params.projectId ?? '', makerId: user.id };
  const formData = await request.formData();
  const intent = formData.get('intent');
  if (intent === 'save') {
    const submission = parseWithValibot(formData, { schema: EditProjectSchema });
    if (submission.status !== 'success') return data({ result: submission.reply(), saved: false }, { status: 400 });
    const result = await updateProject(db, ref, submission.value);
    if (!result) notFound('There is no project of yours at this address.');
    if ('field' in result) return data({ result: submission.reply({ fieldErrors: { [result.field]: [result.message] } }), saved: false }, { status: 400 });
    return { result: submission.reply(), saved: true };
  }
  if (intent === 'move') {
    const submission = parseWithValibot(formData, { schema: MoveTierSchema });
    if (submission.status !== 'success') badRequest('That move did not name a tier and a direction.');
    if (!(await moveTier(db, { ...ref, tierId: submission.value.tierId }, submission.value.direction))) notFound('There is no such tier in your project.');
    throw redirect(`/studio/projects/${ref.projectId}/edit`);
  }
  if (intent === 'archive' || intent === 'unarchive') {
    const submission = parseWithValibot(formData, { schema: ArchiveTierSchema });
    if (submission.status !== 'success') badRequest('That request did not name a tier.');
    if (!(await setTierArchived(db, { ...ref, tierId: submission.value.tierId }, submission.value.intent === 'archive'))) notFound('There is no such tier in your project.');
    throw redirect(`/studio/projects/${ref.projectId}/edit`);
  }
  badRequest('This page does not know that action.');
}

export default function EditProject() {
  const { handle, project, tiers } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const [searchParams] = useSearchParams();
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    defaultValue: { name: project.name, slug: project.slug, pitch: project.pitch, description: project.description, repositoryUrl: project.repositoryUrl ?? '' },
    constraint: getValibotConstraint(EditProjectSchema),
    onValidate: ({ formData }) => parseWithValibot(formData, { schema: EditProjectSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  const saving = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'save';
  const publicPath = `/@${handle}/${project.slug}`;
  const offered = tiers.filter((tier) => !tier.archived).length;
  return (
    <div className="stack">
      <header className="section-header">
        <div>
          <h1>{project.name}</h1>
          <p className="muted">
            <Link to={publicPath}>{publicPath}</Link> · {project.currency.toUpperCase()} ·{' '}
            <Link to={`/studio/projects/${project.id}`}>Dashboard</Link>
          </p>
        </div>
      </header>
      {searchParams.get('created') ? (
        <p className="notice" role="status">
          Your project is live at <Link to={publicPath}>{publicPath}</Link>. Add a tier so patrons can back it.
        </p>
      ) : searchParams.get('tier') ? (
        <p className="notice" role="status">
          Tier saved. <Link to={publicPath}>See it on your project page</Link>
        </p>
      ) : null}

      <section className="card stack" aria-labelledby="tiers-title">
        <header className="section-header">
          <h2 id="tiers-title">Tiers</h2>
          <Link className="button button-small" to={`/studio/projects/${project.id}/tiers/new`}>
            Add a tier
          </Link>
        </header>
        {tiers.length === 0 ? (
          <div className="empty-state">
            <p>No tiers yet. A tier is a monthly pledge at a price you set, like “Supporter — {project.currency === 'jpy' ? '¥500' : '5'} a month”.</p>
            <Link className="button" to={`/studio/projects/${project.id}/tiers/new`}>
              Create your first tier
            </Link>
          </div>
        ) : (
          <>
            {offered === 0 ? <p className="notice">Every tier is archived, so new patrons cannot back this project. Unarchive one or add a tier.</p> : null}
            <ol className="tier-admin-list">
              {tiers.map((tier, index) => (
                <li key={tier.id} className={tier.archived ? 'tier-admin is-archived' : 'tier-admin'}>
                  <div className="tier-admin-main">
                    <h3>
                      <Link to={`/studio/projects/${project.id}/tiers/${tier.id}`}>{tier.name}</Link>
                      {tier.archived ? <span className="badge">Archived</span> : null}
                    </h3>
                    <p className="muted">
                      <Money amount={tier.monthlyAmount} currency={project.currency} /> / month
                      {tier.yearlyAmount !== null ? (
                        <>
                          {' '}
                          · <Money amount={tier.yearlyAmount} currency={project.currency} /> / year
                        </>
                      ) : null}
                      {' · '}
                      {slotsLabel(tier.patronLimit, tier.held) ?? 'No limit'}
                    </p>
                  </div>
                  <div className="tier-admin-actions">
                    <Form method="post">
                      <input type="hidden" name="intent" value="move" />
                      <input type="hidden" name="tierId" value={tier.id} />
                      <button type="submit" name="direction" value="up" className="button-secondary button-small" disabled={index === 0} aria-label={`Move ${tier.name} up`}>
                        ↑
                      </button>
                      <button type="submit" name="direction" value="down" className="button-secondary button-small" disabled={index === tiers.length - 1} aria-label={`Move ${tier.name} down`}>
                        ↓
                      </button>
                    </Form>
                    <Link className="button button-secondary button-small" to={`/studio/projects/${project.id}/tiers/${tier.id}`}>
                      Edit
                    </Link>
                    <Form method="post">
                      <input type="hidden" name="tierId" value={tier.id} />
                      <button type="submit" name="intent" value={tier.archived ? 'unarchive' : 'archive'} className="button-secondary button-small">
                        {tier.archived ? 'Unarchive' : 'Archive'}
                      </button>
                    </Form>
                  </div>
                </li>
              ))}
            </ol>
            <p className="field-hint">Archiving hides a tier from new patrons; patrons already on it keep their pledge and price.</p>
          </>
        )}
      </section>

      <section className="card stack" aria-labelledby="project-title">
        <h2 id="project-title">Project page</h2>
        {actionData?.saved && navigation.state === 'idle' ? (
          <p className="notice" role="status">
            Saved. <Link to={publicPath}>See the page</Link>
          </p>
        ) : null}
        <Form method="post" {...getFormProps(form)}>
          <input type="hidden" name="intent" value="save" />
          <FormErrors id={form.errorId} errors={form.errors} />
          <Field field={fields.name} label="Project name" autoComplete="off" />
          <Field
            field={fields.slug}
            label="Address"
            autoComplete="off"
            hint={
              <>
                <code>
                  /@{handle}/{fields.slug.value || project.slug}
                </code>
                . Changing it breaks links people already shared.
              </>
            }
          />
          <Field field={fields.pitch} label="Pitch" hint={`Up to ${PITCH_MAX} characters.`} />
          <TextareaField field={fields.description} label="Description" rows={12} hint={`Markdown, up to ${DESCRIPTION_MAX.toLocaleString('en')} characters.`} />
          <Field field={fields.repositoryUrl} label="Repository link" type="url" placeholder="https://github.com/you/project" hint="Optional." />
          <p className="field-hint">Currency: {project.currency.toUpperCase()} (fixed: every tier is priced and billed in it).</p>
          <button type="submit" disabled={saving}>
            {saving ? 'Saving…' : 'Save project'}
          </button>
        </Form>
      </section>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
