import type { LinksFunction, LoaderFunctionArgs } from '@remix-run/node';
import { NavLink, Outlet, useLoaderData } from '@remix-run/react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import projectStyles from '#app/styles/projects.css?url';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: projectStyles }];

/** The maker's workspace: every /studio page needs a signed-in user. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return { handle: user.handle };
}

export default function Studio() {
  const { handle } = useLoaderData<typeof loader>();
  return (
    <div className="studio-layout">
      <nav className="studio-nav" aria-label="Studio">
        <NavLink to="/studio" end>
          Projects
        </NavLink>
        <NavLink to="/studio/projects/new">New project</NavLink>
        <NavLink to={`/@${handle}`}>Your public page</NavLink>
      </nav>
      <Outlet />
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
