import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { db } from '#app/core/db.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { listPatronPledges } from '#app/modules/pledges/patron.server.ts';
import { PledgeFacts, Receipts, StatusBadge, UpdateCardForm } from '#app/modules/pledges/pledge-views.tsx';
import pledgeStyles from '#app/styles/pledges.css?url';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: pledgeStyles }];
export const meta: MetaFunction = () => [{ title: 'Your pledges · Makerfund' }];

/** /patron: every pledge across makers, what is due next, and every receipt. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return { pledges: await listPatronPledges(db, user.id) };
}

export default function PatronPage() {
  const { pledges } = useLoaderData<typeof loader>();
  const pastDue = pledges.some((pledge) => pledge.status === 'past_due');
  const live = pledges.some((pledge) => pledge.status === 'active' || pledge.status === 'past_due');
  return (
    <div className="stack">
      <header className="section-header">
        <h1>Your pledges</h1>
        {live ? <UpdateCardForm label={pastDue ? 'Update your card' : 'Payment methods and invoices'} /> : null}
      </header>
      {pastDue ? (
        <p className="form-errors" role="alert">
          A payment did not go through. Update your card so your pledge continues — we will try again automatically.
        </p>
      ) : null}
      {pledges.length === 0 ? (
        <div className="empty-state">
          <p>You are not backing anyone yet. Open-source makers live on many small pledges — yours counts.</p>
          <p>
            <Link className="button" to="/">
              Discover makers to back
            </Link>
          </p>
        </div>
      ) : (
        <ul className="pledge-list" aria-label="Pledges">
          {pledges.map((pledge) => (
            <li key={pledge.id} className="card pledge-card" aria-labelledby={`pledge-${pledge.id}`}>
              <header>
                <h2 id={`pledge-${pledge.id}`}>
                  <Link to={pledge.projectUrl}>{pledge.projectName}</Link> <span className="muted">by {pledge.makerName}</span>
                </h2>
                <StatusBadge pledge={pledge} />
              </header>
              <PledgeFacts pledge={pledge} />
              <div className="pledge-actions">
                {pledge.status === 'past_due' ? <UpdateCardForm /> : null}
                {pledge.status === 'active' || pledge.status === 'past_due' ? (
                  <Link className="button button-secondary button-small" to={`/patron/pledges/${pledge.id}`}>
                    Manage pledge
                  </Link>
                ) : null}
              </div>
              <Receipts receipts={pledge.receipts} caption={`Receipts for ${pledge.projectName}`} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
