import { redirect, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, Outlet, useLoaderData } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { Money } from '#app/components/money.tsx';
import { ProgressBar } from '#app/components/progress-bar.tsx';
import { db } from '#app/core/db.server.ts';
import { env } from '#app/core/env.server.ts';
import { notFound } from '#app/core/http.server.ts';
import { getUser } from '#app/modules/accounts/sessions.server.ts';
import { PledgeConfirmationBanner } from '#app/modules/pledges/confirmation-banner.tsx';
import { getPledgeConfirmation } from '#app/modules/pledges/confirmation.server.ts';
import { findLivePledge } from '#app/modules/pledges/join.server.ts';
import { getPublicProject, isUuid, patronCounts } from '#app/modules/projects/projects.server.ts';
import { isFull, slotsLabel, yearlySavingsPercent } from '#app/modules/tiers/pricing.ts';
import { listPublicTiers } from '#app/modules/tiers/tiers.server.ts';
import { renderMarkdown } from '#app/utils/markdown.server.ts';
import { formatBasisPoints } from '#app/utils/money.ts';
import projectStyles from '#app/styles/projects.css?url';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: projectStyles }];

const NOT_FOUND = 'There is no project at this address. Project links look like /@maker/project, spelled as the maker shared them.';

/** The public project page at /@handle/slug: what the project is, and its tiers to back it. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const segment = params.handle ?? '';
  if (!segment.startsWith('@')) notFound();
  const url = new URL(request.url);
  const [project, viewer] = await Promise.all([getPublicProject(db, segment.slice(1), params.slug ?? ''), getUser(request)]);
  if (!project) notFound(NOT_FOUND);
  // Handles and slugs match case-insensitively; one address per page for links and search engines.
  if (segment !== `@${project.maker.handle}` || params.slug !== project.slug) {
    throw redirect(`/@${project.maker.handle}/${project.slug}${url.search}`, 301);
  }
  const pledgeId = url.searchParams.get('pledge');
  const [tiers, patrons, confirmation, myPledge] = await Promise.all([
    listPublicTiers(db, project.id),
    patronCounts(db, [project.id]),
    viewer && isUuid(pledgeId) ? getPledgeConfirmation(db, { pledgeId, patronId: viewer.id }) : null,
    viewer ? findLivePledge(db, { patronId: viewer.id, projectId: project.id }) : undefined,
  ]);
  return {
    project: {
      id: project.id,
      name: project.name,
      slug: project.slug,
      pitch: project.pitch,
      descriptionHtml: renderMarkdown(project.description_md),
      repositoryUrl: project.repository_url,
      currency: project.currency,
      patronCount: patrons.get(project.id) ?? 0,
    },
    maker: project.maker,
    tiers: tiers.map((tier) => ({
      id: tier.id,
      name: tier.name,
      description: tier.description,
      benefits: tier.benefits,
      monthlyAmount: tier.monthlyAmount,
      yearlyAmount: tier.yearlyAmount,
      savingsPercent: tier.yearlyAmount === null ? null : yearlySavingsPercent(tier.monthlyAmount, tier.yearlyAmount),
      patronLimit: tier.patronLimit,
      held: Math.min(tier.held, tier.patronLimit ?? tier.held),
      slots: slotsLabel(tier.patronLimit, tier.held),
      full: isFull(tier.patronLimit, tier.held),
    })),
    fee: formatBasisPoints(env().PLATFORM_FEE_BASIS_POINTS),
    isOwner: viewer?.id === project.maker.id,
    confirmation,
    // A current patron manages the pledge they have instead of starting a second one.
    myPledge: myPledge ?? null,
  };
}

export const meta: MetaFunction<typeof loader> = ({ data }) =>
  data
    ? [
        { title: `${data.project.name} by ${data.maker.displayName} · Makerfund` },
        { name: 'description', content: data.project.pitch },
        { property: 'og:title', content: data.project.name },
        { property: 'og:description', content: data.project.pitch },
      ]
    : [{ title: 'Not found · Makerfund' }];

export default function ProjectPage() {
  const { project, maker, tiers, fee, isOwner, confirmation, myPledge } = useLoaderData<typeof loader>();
  const pledgeAction = `/@${maker.handle}/${project.slug}/pledge`;
  return (
    <article className="project-page stack">
      {confirmation ? <PledgeConfirmationBanner confirmation={confirmation} /> : null}
      <header className="project-header">
        <p className="muted project-byline">
          <Link to={`/@${maker.handle}`}>{maker.displayName}</Link> · @{maker.handle}
        </p>
        <h1>{project.name}</h1>
        <p className="project-pitch">{project.pitch}</p>
        <p className="project-meta">
          <span>
            <strong>{project.patronCount}</strong> {project.patronCount === 1 ? 'patron' : 'patrons'}
          </span>
          {project.repositoryUrl ? (
            <a href={project.repositoryUrl} rel="nofollow ugc noopener noreferrer">
              Source code
            </a>
          ) : null}
          {isOwner ? (
            <Link className="button button-secondary button-small" to={`/studio/projects/${project.id}`}>
              Manage in your studio
            </Link>
          ) : null}
        </p>
      </header>

      <section aria-labelledby="tiers-title" className="stack">
        <h2 id="tiers-title">Become a patron</h2>
        {tiers.length === 0 ? (
          <div className="empty-state">
            <p>{isOwner ? 'Add a tier in your studio so patrons can back this project.' : `${maker.displayName} has not opened any tiers yet. Check back soon.`}</p>
          </div>
        ) : (
          <>
            <ul className="tier-grid">
              {tiers.map((tier) => (
                <li key={tier.id} className="card tier-card">
                  <h3 id={`tier-${tier.id}`}>{tier.name}</h3>
                  <p className="tier-price">
                    <span className="tier-price-main">
                      <Money amount={tier.monthlyAmount} currency={project.currency} /> / month
                    </span>
                    {tier.yearlyAmount !== null ? (
                      <span className="tier-price-yearly">
                        or <Money amount={tier.yearlyAmount} currency={project.currency} /> / year
                        {tier.savingsPercent ? ` — save ${tier.savingsPercent}%` : null}
                      </span>
                    ) : null}
                  </p>
                  {tier.description ? <p className="tier-description">{tier.description}</p> : null}
                  {tier.benefits.length > 0 ? (
                    <ul className="tier-benefits" aria-label={`What ${tier.name} patrons get`}>
                      {tier.benefits.map((benefit, index) => (
                        <li key={index}>{benefit}</li>
                      ))}
                    </ul>
                  ) : null}
                  {tier.slots !== null && tier.patronLimit !== null ? (
                    <div className="tier-slots">
                      <p className={tier.full ? 'tier-slots-label is-full' : 'tier-slots-label'}>{tier.slots}</p>
                      <ProgressBar value={tier.held} max={tier.patronLimit} label={`Places taken in ${tier.name}`} valueText={`${tier.held} of ${tier.patronLimit} places taken`} />
                    </div>
                  ) : null}
                  {isOwner ? null : myPledge ? (
                    myPledge.tierId === tier.id ? (
                      <p className="tier-yours">
                        <strong>Your tier.</strong> <Link to={`/patron/pledges/${myPledge.id}`}>Manage your pledge</Link>
                      </p>
                    ) : (
                      <Link className="button button-secondary" to={`/patron/pledges/${myPledge.id}`}>
                        Switch to {tier.name}
                      </Link>
                    )
                  ) : tier.full ? (
                    <button type="button" disabled aria-describedby={`tier-${tier.id}`}>
                      Full
                    </button>
                  ) : (
                    <Form method="post" action={pledgeAction} className="pledge-form" aria-labelledby={`tier-${tier.id}`}>
                      <input type="hidden" name="tierId" value={tier.id} />
                      {tier.yearlyAmount !== null ? (
                        <fieldset className="interval-choice">
                          <legend>Billing</legend>
                          <label>
                            <input type="radio" name="interval" value="month" defaultChecked /> Monthly
                          </label>
                          <label>
                            <input type="radio" name="interval" value="year" /> Yearly
                          </label>
                        </fieldset>
                      ) : (
                        <input type="hidden" name="interval" value="month" />
                      )}
                      <div className="field">
                        <label htmlFor={`amount-${tier.id}`}>Pay more (optional)</label>
                        <p className="field-hint" id={`amount-hint-${tier.id}`}>
                          Any amount in {project.currency.toUpperCase()} at or above the tier’s price.
                        </p>
                        <input id={`amount-${tier.id}`} name="amount" type="text" inputMode="decimal" autoComplete="off" aria-describedby={`amount-hint-${tier.id}`} />
                      </div>
                      <button type="submit">Become a patron</button>
                    </Form>
                  )}
                </li>
              ))}
            </ul>
            <p className="fee-note">
              Makerfund keeps {fee} + Stripe’s fee; the rest goes to {maker.displayName}. Cancel any time.
            </p>
          </>
        )}
      </section>

      <section aria-labelledby="about-title" className="card">
        <h2 id="about-title">About {project.name}</h2>
        {project.descriptionHtml ? (
          <div className="markdown" dangerouslySetInnerHTML={{ __html: project.descriptionHtml }} />
        ) : (
          <p className="muted">{isOwner ? 'Add a description in your studio: what the project does and what patrons’ money pays for.' : 'No description yet.'}</p>
        )}
      </section>
      <Outlet />
    </article>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
