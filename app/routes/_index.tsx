import type { MetaFunction } from '@remix-run/node';
import { Link, useRouteLoaderData } from '@remix-run/react';
import type { loader as rootLoader } from '#app/root.tsx';

export const meta: MetaFunction = () => [
  { title: 'Makerfund — a living for open-source makers' },
  { name: 'description', content: 'Monthly patrons, campaigns with goals and milestone updates: distributed micro-income for open-source makers.' },
];

export default function Home() {
  const root = useRouteLoaderData<typeof rootLoader>('root');
  return (
    <>
      <section className="hero">
        <h1>A living for the people who build the software you depend on</h1>
        <p className="lead">
          Makerfund lets open-source makers earn from several small streams — monthly patrons, campaigns for the next big
          release, and updates that show the work — so the income adds up.
        </p>
        <div className="hero-actions">
          {root?.user ? (
            <Link className="button" to={`/@${root.user.handle}`}>
              Go to your page
            </Link>
          ) : (
            <>
              <Link className="button" to="/signup">
                Create your maker page
              </Link>
              <Link className="button button-secondary" to="/login">
                Log in
              </Link>
            </>
          )}
        </div>
      </section>
      <section className="features" aria-label="What Makerfund does">
        <div className="card">
          <h2>Monthly patronage</h2>
          <p>Tiers with benefits, monthly or yearly, upgrades and cancellation in a click, billed by Stripe.</p>
        </div>
        <div className="card">
          <h2>Campaigns with goals</h2>
          <p>All-or-nothing or keep-what-you-raise, a deadline, stretch goals and a live progress bar.</p>
        </div>
        <div className="card">
          <h2>Updates for patrons</h2>
          <p>Milestone posts, public or for patrons from a tier up, on the site, by email and by feed.</p>
        </div>
        <div className="card">
          <h2>Honest money</h2>
          <p>Every payment, fee and payout in a double-entry ledger, with the same fee breakdown everywhere.</p>
        </div>
      </section>
    </>
  );
}
