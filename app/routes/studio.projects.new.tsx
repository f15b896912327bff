import { getFormProps, getSelectProps, useForm } from '@conform-to/react';
import { getValibotConstraint, parseWithValibot } from '@conform-to/valibot';
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { Field, FieldErrors, FormErrors, TextareaField } from '#app/components/field.tsx';
import { db } from '#app/core/db.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { SUPPORTED_CURRENCIES } from '#app/modules/ledger/currency.ts';
import { createProject } from '#app/modules/projects/projects.server.ts';
import { DESCRIPTION_MAX, NewProjectSchema, PITCH_MAX } from '#app/modules/projects/schemas.ts';

export const meta: MetaFunction = () => [{ title: 'New project · Studio · Makerfund' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return { handle: user.handle };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const submission = parseWithValibot(await request.formData(), { schema: NewProjectSchema });
  if (submission.status !== 'success') return data(submission.reply(), { status: 400 });
  const result = await createProject(db, user.id, submission.value);
  if ('field' in result) return data(submission.reply({ fieldErrors: { [result.field]: [result.message] } }), { status: 400 });
  throw redirect(`/studio/projects/${result.id}/edit?created=1`);
}

const CURRENCY_NAMES = new Intl.DisplayNames(['en'], { type: 'currency' });

export default function NewProject() {
  const { handle } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    lastResult,
    defaultValue: { currency: 'usd' },
    constraint: getValibotConstraint(NewProjectSchema),
    onValidate: ({ formData }) => parseWithValibot(formData, { schema: NewProjectSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  const selectProps = getSelectProps(fields.currency);
  return (
    <div className="card stack form-page">
      <h1>Start a project</h1>
      <p className="muted">
        A project gets its own page at <code>/@{handle}/…</code> where patrons read about it and back it. You can change everything
        but the currency later.
      </p>
      <Form method="post" {...getFormProps(form)}>
        <FormErrors id={form.errorId} errors={form.errors} />
        <Field field={fields.name} label="Project name" placeholder="Tiny HTTP" autoComplete="off" />
        <Field
          field={fields.slug}
          label="Address"
          placeholder="tiny-http"
          autoComplete="off"
          hint={
            <>
              Your project page will be <code>/@{handle}/{fields.slug.value || 'address'}</code>: lowercase letters, digits and dashes.
            </>
          }
        />
        <Field field={fields.pitch} label="Pitch" hint={`One line that says what it is and why it matters (up to ${PITCH_MAX} characters).`} />
        <TextareaField
          field={fields.description}
          label="Description"
          rows={10}
          hint={`Markdown: what the project does, who uses it, what patrons' money pays for. Up to ${DESCRIPTION_MAX.toLocaleString('en')} characters.`}
        />
        <Field field={fields.repositoryUrl} label="Repository link" type="url" placeholder="https://github.com/you/project" hint="Optional." />
        <div className="field">
          <label htmlFor={fields.currency.id}>Currency</label>
          <p className="field-hint" id={`${fields.currency.id}-hint`}>
            Patrons pay in this currency, and every tier is priced in it. It cannot change once the project exists.
          </p>
          <select {...selectProps} key={selectProps.key} aria-describedby={[`${fields.currency.id}-hint`, selectProps['aria-describedby']].filter(Boolean).join(' ')}>
            {SUPPORTED_CURRENCIES.map((code) => (
              <option key={code} value={code}>
                {`${code.toUpperCase()} — ${CURRENCY_NAMES.of(code.toUpperCase()) ?? code.toUpperCase()}`}
              </option>
            ))}
          </select>
          <FieldErrors id={fields.currency.errorId} errors={fields.currency.errors} />
        </div>
        <button type="submit" disabled={navigation.state === 'submitting'}>
          {navigation.state === 'submitting' ? 'Creating…' : 'Create project'}
        </button>
      </Form>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
