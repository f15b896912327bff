import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useOutlet } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { db } from '#app/core/db.server.ts';
import { notFound } from '#app/core/http.server.ts';
import { getUser } from '#app/modules/accounts/sessions.server.ts';
import { getPublicProfile } from '#app/modules/accounts/users.server.ts';
import { listProjectsForMaker } from '#app/modules/projects/projects.server.ts';
import projectStyles from '#app/styles/projects.css?url';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: projectStyles }];

/** Public maker page at /@handle. Any other single-segment path is not a page of ours. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const segment = params.handle ?? '';
  if (!segment.startsWith('@')) notFound();
  // A project page (/@handle/slug) is a child route that loads what it needs itself.
  if (params.slug !== undefined) return null;
  const handle = segment.slice(1);
  const [profile, viewer] = await Promise.all([getPublicProfile(db, handle), getUser(request)]);
  if (!profile) notFound(`There is no maker called @${handle}. Handles are spelled exactly as in the link a maker shares.`);
  const projects = await listProjectsForMaker(db, profile.id);
  return {
    profile: { handle: profile.handle, displayName: profile.displayName, bio: profile.bio, links: profile.links, memberSince: profile.memberSince.toISOString() },
    projects: projects.map((project) => ({ id: project.id, slug: project.slug, name: project.name, pitch: project.pitch, patronCount: project.patronCount })),
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
  const data = useLoaderData<typeof loader>();
  const outlet = useOutlet();
  if (outlet || !data) return outlet;
  const { profile, projects, isOwner } = data;
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
      <section aria-labelledby="projects-title" className="stack">
        <header className="section-header">
          <h2 id="projects-title">Projects</h2>
          {isOwner && projects.length > 0 ? (
            <Link className="button button-small" to="/studio/projects/new">
              New project
            </Link>
          ) : null}
        </header>
        {projects.length === 0 ? (
          <div className="empty-state">
            <p>{isOwner ? 'You have not launched a project yet. A project page is where patrons back your work.' : `@${profile.handle} has not launched a project yet.`}</p>
            {isOwner ? (
              <Link className="button" to="/studio/projects/new">
                New project
              </Link>
            ) : null}
          </div>
        ) : (
          <ul className="project-cards">
            {projects.map((project) => (
              <li key={project.id} className="card project-card">
                <h3>
                  <Link to={`/@${profile.handle}/${project.slug}`}>{project.name}</Link>
                </h3>
                <p>{project.pitch}</p>
                <p className="muted">
                  {project.patronCount} {project.patronCount === 1 ? 'patron' : 'patrons'}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
