import { parseWithValibot } from '@conform-to/valibot';
import { data, redirect, type ActionFunctionArgs } from '@remix-run/node';
import { Link, useActionData, useParams } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { db } from '#app/core/db.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { startPledge } from '#app/modules/pledges/join.server.ts';
import { JoinSchema } from '#app/modules/pledges/schemas.ts';

/**
 * Tier cards on the project page post here. No loader: after a refused pledge the parent (the
 * project page) renders with the reason below it; a GET just shows the project page.
 */

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const submission = parseWithValibot(await request.formData(), { schema: JoinSchema });
  if (submission.status !== 'success') {
    const first = Object.values(submission.error ?? {}).flat()[0];
    return data({ error: first ?? 'Choose a tier to pledge to.' }, { status: 400 });
  }
  const handle = (params.handle ?? '').replace(/^@/, '');
  const result = await startPledge(db, {
    patron: { id: user.id, email: user.email, displayName: user.displayName },
    handle,
    slug: params.slug ?? '',
    ...submission.value,
  });
  if (!result.ok) return data({ error: result.message }, { status: result.status });
  // 303: the browser follows with a GET to Stripe Checkout.
  throw redirect(result.checkoutUrl, 303);
}

/** Shown below the project page when a pledge could not start (tier full, amount too low, Stripe down). */
export default function PledgeError() {
  const actionData = useActionData<typeof action>();
  const params = useParams();
  const ref = useRef<HTMLDivElement>(null);
  // The project page renders this below its content: bring the message into view.
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'center' });
    ref.current?.focus();
  }, [actionData]);
  if (!actionData) return null;
  return (
    <div className="form-errors pledge-error" role="alert" tabIndex={-1} ref={ref}>
      <p>{actionData.error}</p>
      <p>
        <Link to={`/${params.handle ?? ''}/${params.slug ?? ''}#tiers-title`}>Back to the tiers</Link>
      </p>
    </div>
  );
}
