import { getFieldsetProps, getFormProps, useForm } from '@conform-to/react';
import { getValibotConstraint, parseWithValibot } from '@conform-to/valibot';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { Field, FormErrors, TextareaField } from '#app/components/field.tsx';
import { db } from '#app/core/db.server.ts';
import { notFound } from '#app/core/http.server.ts';
import { MAX_LINKS, ProfileSchema } from '#app/modules/accounts/schemas.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { getPublicProfile, updateProfile } from '#app/modules/accounts/users.server.ts';

export const meta: MetaFunction = () => [{ title: 'Your profile · Makerfund' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const profile = (await getPublicProfile(db, user.handle)) ?? notFound();
  return { handle: profile.handle, displayName: profile.displayName, bio: profile.bio, links: profile.links };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const submission = parseWithValibot(await request.formData(), { schema: ProfileSchema });
  if (submission.status !== 'success') return data({ result: submission.reply(), saved: false }, { status: 400 });
  await updateProfile(db, user.id, submission.value);
  return { result: submission.reply(), saved: true };
}

export default function ProfileSettings() {
  const profile = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const [searchParams] = useSearchParams();
  const links = [...profile.links, ...Array.from({ length: MAX_LINKS - profile.links.length }, () => ({ label: '', url: '' }))];
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    defaultValue: { displayName: profile.displayName, bio: profile.bio, links: links.map((link) => ({ label: link.label ?? '', url: link.url })) },
    constraint: getValibotConstraint(ProfileSchema),
    onValidate: ({ formData }) => parseWithValibot(formData, { schema: ProfileSchema }),
    shouldValidate: 'onBlur',
  });
  const linkFields = fields.links.getFieldList();
  return (
    <div className="card stack">
      <h1>Your public profile</h1>
      {searchParams.get('welcome') ? (
        <p className="notice" role="status">
          Welcome to Makerfund! Tell patrons who you are: your page is live at <Link to={`/@${profile.handle}`}>/@{profile.handle}</Link>.
        </p>
      ) : null}
      {actionData?.saved && navigation.state === 'idle' ? (
        <p className="notice" role="status">
          Saved. <Link to={`/@${profile.handle}`}>See your page</Link>
        </p>
      ) : null}
      <Form method="post" {...getFormProps(form)}>
        <FormErrors id={form.errorId} errors={form.errors} />
        <Field field={fields.displayName} label="Display name" autoComplete="name" />
        <TextareaField field={fields.bio} label="Bio" hint="What you make and why it matters. Up to 2000 characters." rows={6} />
        <fieldset {...getFieldsetProps(fields.links)}>
          <legend>Links</legend>
          <p className="field-hint">Your repositories, website or social profiles (up to {MAX_LINKS}).</p>
          {linkFields.map((link, index) => {
            const parts = link.getFieldset();
            return (
              <div className="link-row" key={link.key ?? link.id}>
                <Field field={parts.label} label={`Link ${index + 1} label`} placeholder="GitHub" />
                <Field field={parts.url} label={`Link ${index + 1} URL`} type="url" placeholder="https://github.com/you" />
              </div>
            );
          })}
          <FormErrors id={fields.links.errorId} errors={fields.links.errors} />
        </fieldset>
        <button type="submit" disabled={navigation.state === 'submitting'}>
          {navigation.state === 'submitting' ? 'Saving…' : 'Save profile'}
        </button>
      </Form>
    </div>
  );
}
