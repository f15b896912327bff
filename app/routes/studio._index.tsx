import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { db } from '#app/core/db.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { listProjectsForMaker } from '#app/modules/projects/projects.server.ts';

export const meta: MetaFunction = () => [{ title: 'Studio · Makerfund' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const projects = await listProjectsForMaker(db, user.id);
  return {
    handle: user.handle,
    projects: projects.map((project) => ({ ...project, createdAt: project.createdAt.toISOString() })),
  };
}

export default function StudioProjects() {
  const { handle, projects } = useLoaderData<typeof loader>();
  if (projects.length === 0) {
    return (
      <section className="empty-state studio-empty" aria-labelledby="studio-title">
        <h1 id="studio-title">Your studio</h1>
        <p>
          A project is what patrons back: a library, a tool, an app. Give it a page with a pitch and a description, then add tiers
          patrons can pledge to every month.
        </p>
        <Link className="button" to="/studio/projects/new">
          Create your first project
        </Link>
      </section>
    );
  }
  return (
    <section className="stack" aria-labelledby="studio-title">
      <header className="section-header">
        <h1 id="studio-title">Your projects</h1>
        <Link className="button button-small" to="/studio/projects/new">
          New project
        </Link>
      </header>
      <ul className="project-list">
        {projects.map((project) => (
          <li key={project.id} className="card project-item">
            <div>
              <h2>
                <Link to={`/@${handle}/${project.slug}`}>{project.name}</Link>
              </h2>
              <p className="muted">{project.pitch}</p>
              <p className="project-stats">
                <span>
                  {project.patronCount} {project.patronCount === 1 ? 'patron' : 'patrons'}
                </span>
                <span>
                  {project.tierCount} {project.tierCount === 1 ? 'tier' : 'tiers'} on offer
                </span>
                <span>{project.currency.toUpperCase()}</span>
              </p>
              {project.tierCount === 0 ? (
                <p className="notice">
                  No tiers yet: patrons cannot back this project until you{' '}
                  <Link to={`/studio/projects/${project.id}/tiers/new`}>add a tier</Link>.
                </p>
              ) : null}
            </div>
            <div className="project-actions">
              <Link className="button button-small" to={`/studio/projects/${project.id}`}>
                Dashboard
              </Link>
              <Link className="button button-secondary button-small" to={`/studio/projects/${project.id}/edit`}>
                Edit project and tiers
              </Link>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
