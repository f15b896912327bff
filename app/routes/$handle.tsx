import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { db } from '#app/core/db.server.ts';
import { notFound } from '#app/core/http.server.ts';
import { getUser } from '#app/modules/accounts/sessions.server.ts';
import { getPublicProfile } from '#app/modules/accounts/users.server.ts';

/** Public maker page at /@handle. Any other single-segment path is not a page of ours. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const segment = params.handle ?? '';
  if (!segment.startsWith('@')) notFound();
  const handle = segment.slice(1);
  const [profile, viewer] = await Promise.all([getPublicProfile(db, handle), getUser(request)]);
  if (!profile) notFound(`There is no maker called @${handle}. Handles are spelled exactly as in the link a maker shares.`);
  return {
    profile: { handle: profile.handle, displayName: profile.displayName, bio: profile.bio, links: profile.links, memberSince: profile.memberSince.toISOString() },
    isOwner: viewer?.id === profile.id,
  };
}

export const meta: MetaFunction<typeof loader> = ({ data }) =>
  data
    ? [
        { title: `${data.profile.displayName} (@${data.profile.handle}) · Makerfund` },
        { name: 'description', content: data.profile.bio.slice(0, 160) || `${data.profile.displayName} on Makerfund` },
      ]
    : [{ title: 'Not found · Makerfund' }];

export default function MakerPage() {
  const { profile, isOwner } = useLoaderData<typeof loader>();
  const since = new Date(profile.memberSince).toLocaleDateString('en', { year: 'numeric', month: 'long' });
  return (
    <article className="stack">
      <header className="profile-header">
        <div className="avatar" aria-hidden="true">
          {profile.displayName.slice(0, 1).toUpperCase()}
        </div>
        <div>
          <h1>{profile.displayName}</h1>
          <p className="muted">
            @{profile.handle} · on Makerfund since {since}
          </p>
        </div>
        {isOwner ? (
          <Link className="button button-secondary button-small" to="/settings/profile">
            Edit profile
          </Link>
        ) : null}
      </header>
      {profile.bio ? <p className="bio">{profile.bio}</p> : <p className="muted">{isOwner ? 'Add a bio in your settings so patrons know what you make.' : 'No bio yet.'}</p>}
      {profile.links.length > 0 ? (
        <ul className="profile-links" aria-label="Links">
          {profile.links.map((link) => (
            <li key={link.url}>
              <a href={link.url} rel="nofollow ugc noopener noreferrer">
                {link.label ?? new URL(link.url).host}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
      <section aria-labelledby="projects-title">
        <h2 id="projects-title">Projects</h2>
        <div className="empty-state">
          <p>{isOwner ? 'You have not launched a project yet.' : `@${profile.handle} has not launched a project yet.`}</p>
        </div>
      </section>
    </article>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
