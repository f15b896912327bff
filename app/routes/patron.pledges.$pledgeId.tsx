import { parseWithValibot } from '@conform-to/valibot';
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { db } from '#app/core/db.server.ts';
import { notFound } from '#app/core/http.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { amountLabel, formatDay } from '#app/modules/pledges/labels.ts';
import { changeTier, setCancellation } from '#app/modules/pledges/manage.server.ts';
import { getManagedPledge } from '#app/modules/pledges/patron.server.ts';
import { PledgeFacts, Receipts, StatusBadge, UpdateCardForm } from '#app/modules/pledges/pledge-views.tsx';
import { ManageSchema } from '#app/modules/pledges/schemas.ts';
import { isUuid } from '#app/modules/projects/projects.server.ts';
import pledgeStyles from '#app/styles/pledges.css?url';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: pledgeStyles }];
export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `Your pledge to ${data.pledge.projectName} · Makerfund` : 'Not found · Makerfund' }];

const NOT_FOUND = 'We could not find that pledge among yours.';

/** /patron/pledges/:id: change tier, cancel at period end or keep, update the card. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  if (!isUuid(params.pledgeId)) notFound(NOT_FOUND);
  const pledge = await getManagedPledge(db, { pledgeId: params.pledgeId, patronId: user.id });
  if (!pledge) notFound(NOT_FOUND);
  return { pledge };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  if (!isUuid(params.pledgeId)) notFound(NOT_FOUND);
  const submission = parseWithValibot(await request.formData(), { schema: ManageSchema });
  if (submission.status !== 'success') return data({ ok: false as const, message: 'That action is not available here.' }, { status: 400 });
  const target = { pledgeId: params.pledgeId, patronId: user.id };
  const input = submission.value;
  const result =
    input.intent === 'change-tier'
      ? await changeTier(db, { ...target, tierId: input.tierId })
      : await setCancellation(db, { ...target, cancel: input.intent === 'cancel' });
  if (!result.ok && result.status === 404) notFound(NOT_FOUND);
  return data(result, { status: result.ok ? 200 : result.status });
}

export default function ManagePledge() {
  const { pledge } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle';
  return (
    <div className="stack">
      <p>
        <Link to="/patron">← All your pledges</Link>
      </p>
      <header className="section-header">
        <h1>
          Your pledge to <Link to={pledge.projectUrl}>{pledge.projectName}</Link>
        </h1>
        <StatusBadge pledge={pledge} />
      </header>
      {result ? (
        <p className={result.ok ? 'notice' : 'form-errors'} role={result.ok ? 'status' : 'alert'}>
          {result.message}
        </p>
      ) : null}
      <section className="card" aria-labelledby="details-title">
        <h2 id="details-title" className="visually-hidden">
          Details
        </h2>
        <PledgeFacts pledge={pledge} />
        {pledge.status === 'past_due' ? (
          <p className="form-errors">Your last payment did not go through. Update your card and we will try again.</p>
        ) : null}
        <div className="pledge-actions">
          {pledge.live ? <UpdateCardForm /> : null}
        </div>
      </section>

      {pledge.live && !pledge.cancelAtPeriodEnd ? (
        <section className="card stack" aria-labelledby="tiers-title">
          <h2 id="tiers-title">Change tier</h2>
          <p className="muted">
            Moving up takes effect now: you pay the difference for the rest of this period. Moving down takes effect at your next renewal, and you
            keep your current benefits until then.
          </p>
          <ul className="tier-choices">
            {pledge.tiers.map((tier) => {
              const isScheduled = pledge.scheduled?.tierName === tier.name;
              return (
                <li key={tier.id}>
                  <span>
                    <strong>{tier.name}</strong> · {amountLabel(tier.amount, pledge.currency, pledge.interval)}
                    {tier.current ? <span className="muted"> · your tier</span> : null}
                    {isScheduled && pledge.scheduled ? <span className="muted"> · from {formatDay(pledge.scheduled.changeAt)}</span> : null}
                  </span>
                  {tier.current && pledge.scheduled ? (
                    <Form method="post">
                      <input type="hidden" name="intent" value="change-tier" />
                      <input type="hidden" name="tierId" value={tier.id} />
                      <button type="submit" className="button-secondary button-small" disabled={busy}>
                        Stay on {tier.name}
                      </button>
                    </Form>
                  ) : tier.current || isScheduled ? null : tier.full ? (
                    <span className="muted">Full</span>
                  ) : (
                    <Form method="post">
                      <input type="hidden" name="intent" value="change-tier" />
                      <input type="hidden" name="tierId" value={tier.id} />
                      <button type="submit" className="button-small" disabled={busy}>
                        {tier.amount > pledge.amount ? 'Upgrade' : tier.amount < pledge.amount ? 'Downgrade' : 'Switch'} to {tier.name}
                      </button>
                    </Form>
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      ) : null}

      {pledge.live ? (
        <section className="card stack" aria-labelledby="cancel-title">
          <h2 id="cancel-title">{pledge.cancelAtPeriodEnd ? 'Keep your pledge' : 'Cancel'}</h2>
          {pledge.cancelAtPeriodEnd ? (
            <>
              <p>
                Your pledge ends on {pledge.currentPeriodEnd ? formatDay(pledge.currentPeriodEnd) : 'the end of this period'}. Changed your mind? Keep it
                and nothing else changes.
              </p>
              <Form method="post">
                <input type="hidden" name="intent" value="resume" />
                <button type="submit" disabled={busy}>
                  Keep my pledge
                </button>
              </Form>
            </>
          ) : (
            <>
              <p>
                Your pledge stops at the end of the period you paid for
                {pledge.currentPeriodEnd ? ` (${formatDay(pledge.currentPeriodEnd)})` : ''}; you keep your benefits until then and are not charged again.
              </p>
              <Form method="post">
                <input type="hidden" name="intent" value="cancel" />
                <button type="submit" className="button-secondary" disabled={busy}>
                  Cancel at period end
                </button>
              </Form>
            </>
          )}
        </section>
      ) : null}

      <section className="card" aria-labelledby="receipts-title">
        <h2 id="receipts-title">Receipts</h2>
        <Receipts receipts={pledge.receipts} caption={`Payments to ${pledge.projectName}`} />
      </section>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
