import { getFormProps, useForm } from '@conform-to/react';
import { getValibotConstraint, parseWithValibot } from '@conform-to/valibot';
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation } from '@remix-run/react';
import { Field, FormErrors } from '#app/components/field.tsx';
import { db } from '#app/core/db.server.ts';
import { SignupSchema } from '#app/modules/accounts/schemas.ts';
import { requireAnonymous, startSession } from '#app/modules/accounts/sessions.server.ts';
import { createUser } from '#app/modules/accounts/users.server.ts';

export const meta: MetaFunction = () => [{ title: 'Sign up · Makerfund' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAnonymous(request);
  return null;
}

export async function action({ request }: ActionFunctionArgs) {
  const submission = parseWithValibot(await request.formData(), { schema: SignupSchema });
  if (submission.status !== 'success') {
    return data(submission.reply({ hideFields: ['password'] }), { status: 400 });
  }
  const result = await createUser(db, submission.value);
  if ('field' in result) {
    return data(submission.reply({ fieldErrors: { [result.field]: [result.message] }, hideFields: ['password'] }), { status: 400 });
  }
  throw redirect('/settings/profile?welcome=1', { headers: { 'Set-Cookie': await startSession(result.id) } });
}

export default function Signup() {
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    lastResult,
    constraint: getValibotConstraint(SignupSchema),
    onValidate: ({ formData }) => parseWithValibot(formData, { schema: SignupSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  return (
    <div className="narrow card">
      <h1>Create your account</h1>
      <p className="muted">Back the makers you depend on, or start earning from your own work.</p>
      <Form method="post" {...getFormProps(form)}>
        <FormErrors id={form.errorId} errors={form.errors} />
        <Field field={fields.email} label="Email" type="email" autoComplete="email" />
        <Field field={fields.displayName} label="Display name" autoComplete="name" hint="Shown on your public page." />
        <Field field={fields.handle} label="Handle" autoComplete="username" hint="Your page will be makerfund/@handle: letters, digits and dashes." />
        <Field field={fields.password} label="Password" type="password" autoComplete="new-password" hint="At least 8 characters. A passphrase works well." />
        <button type="submit" disabled={navigation.state === 'submitting'}>
          {navigation.state === 'submitting' ? 'Creating your account…' : 'Create account'}
        </button>
      </Form>
      <p>
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </div>
  );
}
