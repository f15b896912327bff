import { getFormProps, useForm } from '@conform-to/react';
import { getValibotConstraint, parseWithValibot } from '@conform-to/valibot';
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { Field, FormErrors } from '#app/components/field.tsx';
import { db } from '#app/core/db.server.ts';
import { attemptLogin } from '#app/modules/accounts/login.server.ts';
import { safeRedirectPath } from '#app/modules/accounts/redirects.ts';
import { LoginSchema } from '#app/modules/accounts/schemas.ts';
import { endSession, requireAnonymous, startSession } from '#app/modules/accounts/sessions.server.ts';

export const meta: MetaFunction = () => [{ title: 'Log in · Makerfund' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAnonymous(request);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const submission = parseWithValibot(await request.formData(), { schema: LoginSchema });
  if (submission.status !== 'success') {
    return data(submission.reply({ hideFields: ['password'] }), { status: 400 });
  }
  const result = await attemptLogin(db, submission.value, context.clientIp);
  if (!result.ok) {
    return data(submission.reply({ fieldErrors: { password: [result.message] }, hideFields: ['password'] }), { status: 400 });
  }
  // A session this browser already had (another account, an old tab) ends here: one browser, one session.
  await endSession(request);
  throw redirect(safeRedirectPath(submission.value.redirectTo), { headers: { 'Set-Cookie': await startSession(result.userId) } });
}

export default function Login() {
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [searchParams] = useSearchParams();
  const [form, fields] = useForm({
    lastResult,
    constraint: getValibotConstraint(LoginSchema),
    onValidate: ({ formData }) => parseWithValibot(formData, { schema: LoginSchema }),
    shouldValidate: 'onSubmit',
  });
  return (
    <div className="narrow card">
      <h1>Log in</h1>
      <Form method="post" {...getFormProps(form)}>
        <FormErrors id={form.errorId} errors={form.errors} />
        <input type="hidden" name={fields.redirectTo.name} value={searchParams.get('redirectTo') ?? '/'} />
        <Field field={fields.email} label="Email" type="email" autoComplete="email" />
        <Field field={fields.password} label="Password" type="password" autoComplete="current-password" />
        <button type="submit" disabled={navigation.state === 'submitting'}>
          {navigation.state === 'submitting' ? 'Logging in…' : 'Log in'}
        </button>
      </Form>
      <p>
        New to Makerfund? <Link to="/signup">Create an account</Link>
      </p>
    </div>
  );
}
